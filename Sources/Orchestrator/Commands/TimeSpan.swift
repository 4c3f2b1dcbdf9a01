import Foundation
import ArgumentParser

/// A length of time as operators type it, in whole milliseconds: `250ms`, `2s`, `1.5s`, `1m`,
/// `1h`, or `0`. A bare number other than 0 is refused everywhere (one operator means seconds by
/// it, another milliseconds). One grammar for the CLI's flags, the console's `:` line, replay and chaos.
public struct TimeSpan: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var milliseconds: Int

    public init(milliseconds: Int) { self.milliseconds = milliseconds }

    /// What a refusal says the text should look like.
    public static let form = "a duration like 250ms, 2s or 1m"

    /// Reads `text`, or says what it should look like.
    public init(parsing text: String) throws {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        let units: [(suffix: String, ms: Double)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)]
        var value: Double?
        if t == "0" {
            value = 0
        } else if let unit = units.first(where: { t.hasSuffix($0.suffix) }), let n = Double(t.dropLast(unit.suffix.count)),
                  t.dropLast(unit.suffix.count).allSatisfy({ $0.isNumber || $0 == "." }) {
            value = n * unit.ms
        }
        guard let v = value, v.isFinite, v >= 0, v < Double(Int32.max) * 1000 else { throw AmountError.expected(Self.form, got: text) }
        milliseconds = Int(v.rounded())
    }

    public var duration: Duration { .milliseconds(milliseconds) }

    /// The shortest exact spelling: `2s`, `1m`, `250ms`, `0`.
    public var description: String {
        let ms = milliseconds
        if ms == 0 { return "0" }
        if ms % 3_600_000 == 0 { return "\(ms / 3_600_000)h" }
        if ms % 60_000 == 0 { return "\(ms / 60_000)m" }
        if ms % 1000 == 0 { return "\(ms / 1000)s" }
        return "\(ms)ms"
    }

    public static func < (a: TimeSpan, b: TimeSpan) -> Bool { a.milliseconds < b.milliseconds }
}

extension TimeSpan: TypedWord {}

extension TimeSpan: ExpressibleByArgument {
    public var defaultValueDescription: String { description }
}
