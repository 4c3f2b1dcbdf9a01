import BinaryCoding
import NIOCore
import RaftCore

/// The payload of one frame: `[kind][body]`. The handshake (protocol 2):
///
///     dialer -> acceptor   hello      magic, version, dialer nonce
///     acceptor -> dialer   challenge  acceptor nonce
///     dialer -> acceptor   proof      dialer id, incarnation, HMAC(dialer transcript)
///     acceptor -> dialer   accept     acceptor id, incarnation, HMAC(acceptor transcript)
///
/// Nothing before `accept` names the acceptor or its cluster. A hello of another version is
/// answered `refuse` with the versions; a proof that does not check out is answered by a close
/// and nothing else; an authenticated dialer refused by `admit` gets `refuse` with the reason.
/// After `accept` the dialer sends only `message` frames and the acceptor sends nothing.
enum WireFrame: Sendable, Equatable {
    case hello(PeerHello)
    case challenge(nonce: [UInt8])
    case proof(PeerProof)
    case accept(PeerProof)
    case refuse(reason: String)
    case message(Message)
    /// What the sender says of itself, opaque to the transport (a founder's report: empty with
    /// its incarnation, or its membership). Sent first on an authenticated connection.
    case state([UInt8])

    static let magic: [UInt8] = Array("FLTL".utf8)
    static let macSize = 32

    enum Kind: UInt8 {
        case hello = 1
        case accept = 2
        case refuse = 3
        case message = 4
        case challenge = 5
        case proof = 6
        case state = 7
    }

    func encode() -> [UInt8] {
        var w = ByteWriter()
        switch self {
        case .hello(let h):
            w.write(Kind.hello.rawValue)
            for b in Self.magic { w.write(b) }
            w.write(UInt8(truncatingIfNeeded: h.protocolVersion >> 8))
            w.write(UInt8(truncatingIfNeeded: h.protocolVersion))
            w.write(bytes: h.nonce)
        case .challenge(let nonce):
            w.write(Kind.challenge.rawValue)
            w.write(bytes: nonce)
        case .proof(let p):
            w.write(Kind.proof.rawValue)
            Self.write(p, into: &w)
        case .accept(let p):
            w.write(Kind.accept.rawValue)
            Self.write(p, into: &w)
        case .refuse(let reason):
            w.write(Kind.refuse.rawValue)
            w.write(reason)
        case .message(let m):
            w.write(Kind.message.rawValue)
            m.encode(into: &w)
        case .state(let bytes):
            w.write(Kind.state.rawValue)
            w.write(bytes: bytes)
        }
        return w.bytes
    }

    /// The frame ready to write: length prefix and payload.
    func framed(allocator: ByteBufferAllocator) -> ByteBuffer {
        let payload = encode()
        var buffer = allocator.buffer(capacity: payload.count + 4)
        FrameAssembler.writeFrame(payload, into: &buffer)
        return buffer
    }

    /// Decodes one payload. A hello of a version other than `protocolVersion` is read only as
    /// far as its version, so it can be refused by name whatever follows.
    static func decode(_ bytes: [UInt8], protocolVersion: UInt16 = TransportConfig.currentProtocolVersion) throws(DecodingError) -> WireFrame {
        var r = ByteReader(bytes)
        let raw = try r.readByte()
        let frame: WireFrame
        switch Kind(rawValue: raw) {
        case .hello:
            let at = r.offset
            for b in magic {
                guard try r.readByte() == b else { throw .invalid(offset: at, reason: "not a Flotilla peer handshake (bad magic)") }
            }
            let version = UInt16(try r.readByte()) << 8 | UInt16(try r.readByte())
            guard version == protocolVersion else { return .hello(PeerHello(protocolVersion: version, nonce: [])) }
            frame = .hello(PeerHello(protocolVersion: version, nonce: try readNonce(from: &r)))
        case .challenge: frame = .challenge(nonce: try readNonce(from: &r))
        case .proof: frame = .proof(try readProof(from: &r))
        case .accept: frame = .accept(try readProof(from: &r))
        case .refuse: frame = .refuse(reason: try r.readString())
        case .message: frame = .message(try Message.decode(from: &r))
        case .state: frame = .state(try r.readBytes())
        case nil: throw .unknownTag(offset: 0, tag: raw, type: "frame kind")
        }
        try r.expectEnd()
        return frame
    }

    static func decode(_ buffer: ByteBuffer, protocolVersion: UInt16 = TransportConfig.currentProtocolVersion) throws(DecodingError) -> WireFrame {
        try decode(Array(buffer.readableBytesView), protocolVersion: protocolVersion)
    }

    private static func write(_ p: PeerProof, into w: inout ByteWriter) {
        w.write(p.nodeID)
        w.write(fixed: p.incarnation)
        w.write(bytes: p.mac)
    }

    private static func readNonce(from r: inout ByteReader) throws(DecodingError) -> [UInt8] {
        let at = r.offset
        let nonce = try r.readBytes()
        guard nonce.count == HandshakeTranscript.nonceSize else {
            throw .invalid(offset: at, reason: "a nonce of \(nonce.count) bytes, not \(HandshakeTranscript.nonceSize)")
        }
        return nonce
    }

    private static func readProof(from r: inout ByteReader) throws(DecodingError) -> PeerProof {
        let id = try r.readString()
        let incarnation = try r.readFixed64()
        let at = r.offset
        let mac = try r.readBytes()
        guard mac.count == macSize else { throw .invalid(offset: at, reason: "a proof of \(mac.count) bytes, not \(macSize)") }
        return PeerProof(nodeID: id, incarnation: incarnation, mac: mac)
    }
}
