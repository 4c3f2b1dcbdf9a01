import BinaryCoding

/// Everything a handshake proof binds: the protocol, the cluster, both node ids, the
/// incarnations, both nonces and (in `bytes(for:)`) the direction. Any difference, such as a
/// recorded exchange replayed against a fresh nonce, gives another MAC.
struct HandshakeTranscript: Sendable, Equatable {
    static let nonceSize = 32
    static let label = "flotilla peer handshake"

    var protocolVersion: UInt16
    var clusterID: String
    var dialer: String
    var acceptor: String
    var dialerIncarnation: UInt64
    /// Bound only into the acceptor's proof: the dialer proves itself before it has seen it.
    var acceptorIncarnation: UInt64
    var dialerNonce: [UInt8]
    var acceptorNonce: [UInt8]

    /// The bytes `role`'s proof authenticates; every variable-length field carries its length.
    func bytes(for role: HandshakeRole) -> [UInt8] {
        var w = ByteWriter(capacity: 160)
        w.write(Self.label)
        w.write(role.rawValue)
        w.write(varint: UInt64(protocolVersion))
        w.write(clusterID)
        w.write(dialer)
        w.write(acceptor)
        w.write(fixed: dialerIncarnation)
        w.write(bytes: dialerNonce)
        w.write(bytes: acceptorNonce)
        if role == .acceptor { w.write(fixed: acceptorIncarnation) }
        return w.bytes
    }

    /// A fresh nonce from the system's cryptographic generator.
    static func freshNonce() -> [UInt8] {
        var system = SystemRandomNumberGenerator()
        var out: [UInt8] = []
        out.reserveCapacity(nonceSize)
        for _ in 0..<(nonceSize / 8) {
            var word = system.next()
            for _ in 0..<8 {
                out.append(UInt8(truncatingIfNeeded: word))
                word >>= 8
            }
        }
        return out
    }
}
