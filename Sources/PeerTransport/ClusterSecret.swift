import Crypto

/// The key of the handshake proofs: HMAC-SHA256 under the cluster's admin token. Without a
/// token the key is a public constant, so proofs then check only the cluster id and protocol.
struct ClusterSecret: Sendable {
    private let key: SymmetricKey
    /// False when the node runs without a token and peers are not authenticated.
    let authenticates: Bool

    init(token: String?) {
        authenticates = token != nil
        key = SymmetricKey(data: Array((token ?? "flotilla: no cluster secret").utf8))
    }

    /// `role`'s proof of `transcript`.
    func prove(_ transcript: HandshakeTranscript, as role: HandshakeRole) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: transcript.bytes(for: role), using: key))
    }

    /// Whether `mac` is `role`'s proof of `transcript`, compared in constant time.
    func verify(_ mac: [UInt8], of transcript: HandshakeTranscript, as role: HandshakeRole) -> Bool {
        HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: transcript.bytes(for: role), using: key)
    }
}
