import BinaryCoding
import NIOCore
import RaftCore

/// Who is on the other end of a connection, as each side states it in the handshake.
struct Handshake: Sendable, Equatable {
    var protocolVersion: UInt16
    var clusterID: String
    var nodeID: String
}

/// The payload of one frame: `[kind][body]`. The dialer opens with `hello`; the acceptor
/// answers `accept` (with its own identity) or `refuse` and closes. After `accept` the
/// dialer sends only `message` frames and the acceptor sends nothing.
enum WireFrame: Sendable, Equatable {
    case hello(Handshake)
    case accept(Handshake)
    case refuse(reason: String)
    case message(Message)

    static let magic: [UInt8] = Array("FLTL".utf8)

    enum Kind: UInt8 {
        case hello = 1
        case accept = 2
        case refuse = 3
        case message = 4
    }

    func encode() -> [UInt8] {
        var w = ByteWriter()
        switch self {
        case .hello(let h):
            w.write(Kind.hello.rawValue)
            Self.write(h, into: &w)
        case .accept(let h):
            w.write(Kind.accept.rawValue)
            Self.write(h, into: &w)
        case .refuse(let reason):
            w.write(Kind.refuse.rawValue)
            w.write(reason)
        case .message(let m):
            w.write(Kind.message.rawValue)
            m.encode(into: &w)
        }
        return w.bytes
    }

    /// The frame ready to write: length prefix and payload.
    func framed(allocator: ByteBufferAllocator) -> ByteBuffer {
        let payload = encode()
        var buffer = allocator.buffer(capacity: payload.count + 4)
        FrameDecoder.writeFrame(payload, into: &buffer)
        return buffer
    }

    static func decode(_ bytes: [UInt8]) throws(DecodingError) -> WireFrame {
        var r = ByteReader(bytes)
        let raw = try r.readByte()
        let frame: WireFrame
        switch Kind(rawValue: raw) {
        case .hello: frame = .hello(try readHandshake(from: &r))
        case .accept: frame = .accept(try readHandshake(from: &r))
        case .refuse: frame = .refuse(reason: try r.readString())
        case .message: frame = .message(try Message.decode(from: &r))
        case nil: throw .unknownTag(offset: 0, tag: raw, type: "frame kind")
        }
        try r.expectEnd()
        return frame
    }

    static func decode(_ buffer: ByteBuffer) throws(DecodingError) -> WireFrame {
        try decode(Array(buffer.readableBytesView))
    }

    private static func write(_ h: Handshake, into w: inout ByteWriter) {
        for b in magic { w.write(b) }
        w.write(UInt8(truncatingIfNeeded: h.protocolVersion >> 8))
        w.write(UInt8(truncatingIfNeeded: h.protocolVersion))
        w.write(h.clusterID)
        w.write(h.nodeID)
    }

    private static func readHandshake(from r: inout ByteReader) throws(DecodingError) -> Handshake {
        let at = r.offset
        for b in magic {
            guard try r.readByte() == b else { throw .invalid(offset: at, reason: "not a Flotilla peer handshake (bad magic)") }
        }
        let version = UInt16(try r.readByte()) << 8 | UInt16(try r.readByte())
        return Handshake(protocolVersion: version, clusterID: try r.readString(), nodeID: try r.readString())
    }
}
