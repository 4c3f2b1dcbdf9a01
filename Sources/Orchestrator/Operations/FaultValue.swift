import Foundation

/// The amounts fault commands take, read one way wherever an operator types them: the CLI, the
/// console's command line, and chaos's own steps.
public enum FaultValue {
    /// A duration in whole ms: `100ms`, `1s`, `1.5s`, or `0`. A bare number other than 0 is
    /// refused: one operator means seconds by it, another milliseconds.
    public static func milliseconds(_ text: String, _ what: String) throws -> Int {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        let value: Double? = t == "0" ? 0
            : t.hasSuffix("ms") ? Double(t.dropLast(2))
            : t.hasSuffix("s") ? Double(t.dropLast()).map { $0 * 1000 } : nil
        guard let v = value, v.isFinite, v >= 0, v < Double(Int.max) else {
            throw OrchestratorError("\(what) is a duration like 100ms or 1s (got \"\(text)\")")
        }
        return Int(v.rounded())
    }

    /// A share of the messages: `10%`, or a fraction such as `0.1`; 0 clears.
    public static func share(_ text: String) throws -> Double {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t.hasSuffix("%"), let v = Double(t.dropLast()), (0...100).contains(v) { return v / 100 }
        if let v = Double(t), (0...1).contains(v) { return v }
        throw OrchestratorError("a share is a percentage from 0% to 100% or a fraction from 0 to 1 (got \"\(text)\")")
    }
}
