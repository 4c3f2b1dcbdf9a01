import Foundation
import ArgumentParser

/// A share of the messages on a link, from 0 to 1, as operators type it: `10%` or `0.1` (both
/// accepted everywhere); 0 clears the fault.
public struct Share: Sendable, Hashable, CustomStringConvertible {
    public var fraction: Double

    public init(fraction: Double) { self.fraction = fraction }

    /// What a refusal says the text should look like.
    public static let form = "a share like 10% or 0.1"

    /// Reads the text as operators type it, or refuses it saying what it should look like.
    public init(parsing text: String) throws {
        let t = text.trimmingCharacters(in: .whitespaces)
        let isDecimal = { (s: Substring) in !s.isEmpty && s.allSatisfy { $0.isNumber || $0 == "." } }
        if t.hasSuffix("%"), isDecimal(t.dropLast()), let v = Double(t.dropLast()), (0...100).contains(v) {
            fraction = v / 100
        } else if isDecimal(Substring(t)), let v = Double(t), (0...1).contains(v) {
            fraction = v
        } else {
            throw AmountError.expected(Self.form + " (0% to 100%)", got: text)
        }
    }

    /// `10%` when that reads back exactly, else the fraction (`0.123456789`).
    public var description: String {
        let percent = (fraction * 100 * 1_000_000).rounded() / 1_000_000
        let text = percent == percent.rounded() ? "\(Int(percent))%" : "\(percent)%"
        if let back = try? Share(parsing: text), back == self { return text }
        return "\(fraction)"
    }
}

extension Share: TypedWord {}

extension Share: ExpressibleByArgument {}
