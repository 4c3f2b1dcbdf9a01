/// An amount, a node or a command that cannot be read, with the form it should take: the
/// console's `:` line and the CLI print it as it is ("loss: expected a share like 10% or 0.1, got 'lots'").
public struct AmountError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }

    /// `expected <form>, got '<text>'`.
    static func expected(_ form: String, got text: String) -> AmountError {
        AmountError("expected \(form), got '\(text)'")
    }

    /// The same error, said about `what` (`loss: expected …`).
    func about(_ what: String) -> AmountError { AmountError("\(what): \(description)") }
}
