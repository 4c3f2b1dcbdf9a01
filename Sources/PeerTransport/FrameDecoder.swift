import NIOCore

/// Why a byte stream is not a valid sequence of frames.
public enum FrameError: Error, Equatable, Sendable, CustomStringConvertible {
    case frameTooLarge(length: UInt32, limit: Int)

    public var description: String {
        switch self {
        case let .frameTooLarge(length, limit):
            "frame of \(length) bytes exceeds the limit of \(limit) (a peer with a larger --max-frame-size, or not a Flotilla peer at all)"
        }
    }
}

/// Splits a TCP byte stream into `[u32 big-endian length][payload]` frames. A length above
/// `maxFrameSize` is an error before any of the payload is buffered.
public struct FrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = ByteBuffer

    public let maxFrameSize: Int

    public init(maxFrameSize: Int) {
        self.maxFrameSize = maxFrameSize
    }

    /// The next complete frame's payload, consumed from `buffer`; nil when more bytes are needed.
    /// Pure, so the framing rules are testable without a channel.
    public static func nextFrame(from buffer: inout ByteBuffer, maxFrameSize: Int) throws(FrameError) -> ByteBuffer? {
        guard let length = buffer.getInteger(at: buffer.readerIndex, endianness: .big, as: UInt32.self) else {
            return nil
        }
        guard UInt64(length) <= UInt64(maxFrameSize) else { throw .frameTooLarge(length: length, limit: maxFrameSize) }
        guard buffer.readableBytes - 4 >= Int(length) else { return nil }
        buffer.moveReaderIndex(forwardBy: 4)
        return buffer.readSlice(length: Int(length))
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = try Self.nextFrame(from: &buffer, maxFrameSize: maxFrameSize) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(frame))
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        // A partial frame left at EOF is discarded with the connection.
        try decode(context: context, buffer: &buffer)
    }

    /// Appends `payload` to `buffer` as one frame.
    public static func writeFrame(_ payload: [UInt8], into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt32(payload.count), endianness: .big)
        buffer.writeBytes(payload)
    }
}
