/// An etcd member's id: a 64-bit number that etcd's JSON gateway writes as a decimal string and
/// its `/metrics` labels and logs write in hex, so one value is needed to match the two.
public struct EtcdMemberID: Hashable, Sendable, Codable, CustomStringConvertible {
    public var value: UInt64

    public init(_ value: UInt64) { self.value = value }

    /// From the gateway's decimal form; nil for anything else (an empty or zero id means none).
    public init?(decimal: String) {
        guard let v = UInt64(decimal), v != 0 else { return nil }
        value = v
    }

    /// From a `/metrics` label's hex form.
    public init?(hex: String) {
        guard let v = UInt64(hex, radix: 16), v != 0 else { return nil }
        value = v
    }

    public var decimal: String { String(value) }
    public var hex: String { String(value, radix: 16) }
    public var description: String { hex }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = EtcdMemberID(decimal: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an etcd member id: \(text.prefix(40))"))
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(decimal)
    }
}
