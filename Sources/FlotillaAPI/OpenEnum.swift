/// A wire value from a set this version knows, open to values a newer node may send: an unknown
/// string decodes as `unknown(raw)` and encodes back unchanged, so one new value never makes a
/// whole answer unreadable. Whoever needs a known value (the node, for what it is sent) checks `isKnown`.
public protocol OpenEnum: RawRepresentable, Codable, Hashable, Sendable, CustomStringConvertible where RawValue == String {
    /// The values this version knows, in their documented order.
    static var known: [Self] { get }
    /// A value this version does not know, kept as it was sent; never holds a known value's text.
    static func unknown(_ raw: String) -> Self
}

extension OpenEnum {
    /// The known value named `rawValue`, else `unknown(rawValue)`: never fails.
    public init(rawValue: String) {
        self = .named(rawValue)
    }

    public init(from decoder: any Decoder) throws {
        self = .named(try decoder.singleValueContainer().decode(String.self))
    }

    /// The known value named `raw`, else `unknown(raw)`.
    public static func named(_ raw: String) -> Self {
        known.first { $0.rawValue == raw } ?? .unknown(raw)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var description: String { rawValue }

    /// False for a value only a newer version knows.
    public var isKnown: Bool { Self.known.contains(self) }

    /// The known values as a phrase for messages: "both, in or out".
    public static var knownList: String {
        let names = known.map(\.rawValue)
        guard let last = names.last, names.count > 1 else { return names.joined() }
        return names.dropLast().joined(separator: ", ") + " or " + last
    }
}
