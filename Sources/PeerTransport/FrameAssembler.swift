import NIOCore

/// Splits a TCP byte stream into `[u32 big-endian length][payload]` frames under a limit the
/// caller may change between frames. A length above the limit is an error before any of its
/// payload is buffered; a frame that spans reads is gathered in one buffer of its own length,
/// so a connection never holds more than one frame (rounded up to a power of two) beyond the
/// read in hand. Pure, so the framing rules are testable without a channel.
struct FrameAssembler {
    /// The length prefix read so far, and how many of its 4 bytes.
    private var prefix: UInt32 = 0
    private var prefixBytes = 0
    /// The payload of the frame being gathered, and its full length.
    private var partial: ByteBuffer?
    private var expected = 0

    init() {}

    /// A frame has begun and is not complete.
    var isMidFrame: Bool { prefixBytes > 0 || partial != nil }
    /// Payload bytes of the frame in progress received so far, and its length (0 until known).
    var progress: (received: Int, length: Int) { (partial?.readableBytes ?? 0, partial == nil ? 0 : expected) }

    /// The next complete frame's payload, consuming what it takes from `input`; nil once
    /// `input` is used up without completing one (what it held is kept for the next call).
    mutating func next(from input: inout ByteBuffer, limit: Int, allocator: ByteBufferAllocator) throws(FrameError) -> ByteBuffer? {
        if partial != nil {
            let take = min(expected - partial!.readableBytes, input.readableBytes)
            var chunk = input.readSlice(length: take)!
            partial!.writeBuffer(&chunk)
            guard partial!.readableBytes == expected else { return nil }
            defer { partial = nil }
            return partial
        }
        if prefixBytes == 0, let length = input.getInteger(at: input.readerIndex, endianness: .big, as: UInt32.self) {
            prefix = length
            prefixBytes = 4
            input.moveReaderIndex(forwardBy: 4)
        } else {
            while prefixBytes < 4, let byte = input.readInteger(as: UInt8.self) {
                prefix = prefix << 8 | UInt32(byte)
                prefixBytes += 1
            }
            guard prefixBytes == 4 else { return nil }
        }
        let length = prefix
        guard UInt64(length) <= UInt64(limit) else { throw .frameTooLarge(length: length, limit: limit) }
        prefix = 0
        prefixBytes = 0
        let size = Int(length)
        if input.readableBytes >= size { return input.readSlice(length: size)! }
        var gathered = allocator.buffer(capacity: size)
        gathered.writeBuffer(&input)
        partial = gathered
        expected = size
        return nil
    }

    /// Appends `payload` to `buffer` as one frame.
    static func writeFrame(_ payload: [UInt8], into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt32(payload.count), endianness: .big)
        buffer.writeBytes(payload)
    }
}
