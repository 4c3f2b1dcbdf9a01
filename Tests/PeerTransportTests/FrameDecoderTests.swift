import BinaryCoding
import NIOCore
@testable import PeerTransport
import RaftCore
import Testing

/// Feeds `stream` to the frame parser in random chunks, as TCP would deliver it.
/// Returns the payloads parsed and the error that stopped parsing, if any.
func parseInChunks(_ stream: [UInt8], maxFrameSize: Int, rng: inout SplitMix64) -> ([[UInt8]], FrameError?) {
    var buffer = ByteBuffer()
    var frames: [[UInt8]] = []
    var at = 0
    while at < stream.count {
        let n = min(stream.count - at, 1 + rng.below(64))
        buffer.writeBytes(stream[at..<(at + n)])
        at += n
        do {
            while let frame = try FrameDecoder.nextFrame(from: &buffer, maxFrameSize: maxFrameSize) {
                frames.append(Array(frame.readableBytesView))
            }
        } catch {
            return (frames, error)
        }
    }
    return (frames, nil)
}

func framed(_ payloads: [[UInt8]]) -> [UInt8] {
    var buffer = ByteBuffer()
    for p in payloads { FrameDecoder.writeFrame(p, into: &buffer) }
    return Array(buffer.readableBytesView)
}

@Suite struct FrameDecoderTests {
    @Test func validStreamsSplitAnywhereYieldTheirFrames() {
        var rng = SplitMix64(seed: 11)
        for _ in 0..<300 {
            let payloads = (0..<rng.below(12)).map { _ in
                (0..<rng.below(300)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            }
            let (frames, error) = parseInChunks(framed(payloads), maxFrameSize: 300, rng: &rng)
            #expect(error == nil)
            #expect(frames == payloads)
        }
    }

    @Test func anOversizedLengthIsRejectedFromItsHeaderAlone() throws {
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt32(1025), endianness: .big)
        #expect(throws: FrameError.frameTooLarge(length: 1025, limit: 1024)) {
            try FrameDecoder.nextFrame(from: &buffer, maxFrameSize: 1024)
        }
        #expect(buffer.readableBytes == 4, "nothing consumed")
        var huge = ByteBuffer(bytes: [0xff, 0xff, 0xff, 0xff])
        #expect(throws: FrameError.frameTooLarge(length: .max, limit: 16 << 20)) {
            try FrameDecoder.nextFrame(from: &huge, maxFrameSize: 16 << 20)
        }
        var exact = ByteBuffer()
        FrameDecoder.writeFrame([UInt8](repeating: 7, count: 1024), into: &exact)
        #expect(try FrameDecoder.nextFrame(from: &exact, maxFrameSize: 1024)?.readableBytes == 1024)
    }

    @Test func anIncompleteFrameWaitsForMoreBytes() throws {
        var buffer = ByteBuffer(bytes: [0, 0, 0, 3, 1, 2])
        #expect(try FrameDecoder.nextFrame(from: &buffer, maxFrameSize: 16) == nil)
        buffer.writeBytes([3, 0, 0])
        #expect(try FrameDecoder.nextFrame(from: &buffer, maxFrameSize: 16).map { Array($0.readableBytesView) } == [1, 2, 3])
        #expect(try FrameDecoder.nextFrame(from: &buffer, maxFrameSize: 16) == nil)
        #expect(buffer.readableBytes == 2)
    }

    /// Random and mutated streams never crash the parser, and every frame it yields is within the limit.
    @Test func randomAndMutatedStreamsNeverCrash() {
        var rng = SplitMix64(seed: 12)
        let limit = 256
        var rejected = 0
        for round in 0..<5_000 {
            var stream: [UInt8]
            if round % 2 == 0 {
                stream = (0..<rng.below(512)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            } else {
                stream = framed((0..<1 + rng.below(6)).map { _ in (0..<rng.below(200)).map { UInt8($0 & 0xff) } })
                for _ in 0...rng.below(4) { mutate(&stream, &rng) }
            }
            let (frames, error) = parseInChunks(stream, maxFrameSize: limit, rng: &rng)
            #expect(frames.allSatisfy { $0.count <= limit })
            if case .frameTooLarge(let length, _)? = error {
                #expect(Int(length) > limit)
                rejected += 1
            }
        }
        #expect(rejected > 0)
    }

    @Test func handshakeFramesRoundTripAndMutationsNeverTrap() throws {
        let frames: [WireFrame] = [
            .hello(Handshake(protocolVersion: 1, clusterID: "prod-eu", nodeID: "n1")),
            .accept(Handshake(protocolVersion: 513, clusterID: "", nodeID: "n2")),
            .refuse(reason: "cluster id mismatch (ours a, theirs b)"),
            .message(sampleMessages()[4]),
        ]
        for f in frames { #expect(try WireFrame.decode(f.encode()) == f) }
        #expect(throws: DecodingError.self) { try WireFrame.decode([1] + Array("FLTX".utf8) + [0, 1, 0, 0]) }
        var rng = SplitMix64(seed: 13)
        for _ in 0..<20_000 {
            var bytes = frames[rng.below(frames.count)].encode()
            for _ in 0...rng.below(3) { mutate(&bytes, &rng) }
            _ = try? WireFrame.decode(bytes)
        }
    }
}
