import Foundation
import ArgumentParser
import FlotillaAPI

/// How fast a node's timers run against real time: `3x` (three times fast), `0.5x` (twice slow),
/// `1x` (a true clock). The `x` may be left out.
public struct ClockRate: Sendable, Hashable, CustomStringConvertible {
    public var factor: Double

    public init(factor: Double) { self.factor = factor }

    /// What a refusal says the text should look like.
    public static let form = "a clock rate from \(FaultSpec.clockRates.lowerBound)x to \(FaultSpec.clockRates.upperBound)x, like 3x or 0.5x"

    /// Reads the text as operators type it, or refuses it saying what it should look like.
    public init(parsing text: String) throws {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        let number = t.hasSuffix("x") ? String(t.dropLast()) : t
        guard !number.isEmpty, number.allSatisfy({ $0.isNumber || $0 == "." }), let v = Double(number),
              FaultSpec.clockRates.contains(v) else { throw AmountError.expected(Self.form, got: text) }
        factor = v
    }

    public var description: String { factor == factor.rounded() ? "\(Int(factor))x" : "\(factor)x" }
}

extension ClockRate: TypedWord {}

extension ClockRate: ExpressibleByArgument {}
