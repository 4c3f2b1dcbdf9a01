import BinaryCoding
import NIOCore
@testable import PeerTransport
import RaftCore
import Testing
import TestSupport

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

    /// 100,000 random and mutated streams (four seeded shards, each on a thread of its own)
    /// never crash the parser, and every frame it yields is within the limit.
    @Test(arguments: 0..<4)
    func randomAndMutatedStreamsNeverCrash(shard: Int) async throws {
        let limit = 256
        let total = 25_000
        let (frames, rejected, problems) = try await offThePool { () -> (Int, Int, [String]) in
            var rng = SplitMix64(seed: 12 &+ UInt64(shard) << 32)
            var rejected = 0
            var frames = 0
            var problems: [String] = []
            for round in 0..<total {
                var stream: [UInt8]
                if round % 2 == 0 {
                    stream = (0..<rng.below(200)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                } else {
                    stream = framed((0..<1 + rng.below(4)).map { _ in (0..<rng.below(80)).map { UInt8($0 & 0xff) } })
                    for _ in 0...rng.below(4) { mutate(&stream, &rng) }
                }
                let (parsed, error) = parseInChunks(stream, maxFrameSize: limit, rng: &rng)
                frames += parsed.count
                if parsed.contains(where: { $0.count > limit }) { problems.append("a frame over the limit from \(stream)") }
                if case .frameTooLarge(let length, _)? = error {
                    if Int(length) <= limit { problems.append("\(length) bytes refused under the limit") }
                    rejected += 1
                }
            }
            return (frames, rejected, problems)
        }
        print("fuzz frame decoder shard \(shard): \(total) streams, \(frames) frames, \(rejected) refused as too large")
        #expect(problems.isEmpty, "\(problems.prefix(5))")
        #expect(rejected > 0 && frames > total / 4)
    }

    @Test func handshakeFramesRoundTripAndMutationsNeverTrap() async throws {
        let frames: [WireFrame] = [
            .hello(Handshake(protocolVersion: 1, clusterID: "prod-eu", nodeID: "n1")),
            .accept(Handshake(protocolVersion: 513, clusterID: "", nodeID: "n2")),
            .refuse(reason: "cluster id mismatch (ours a, theirs b)"),
            .message(sampleMessages()[4]),
        ]
        for f in frames { #expect(try WireFrame.decode(f.encode()) == f) }
        #expect(throws: DecodingError.self) { try WireFrame.decode([1] + Array("FLTX".utf8) + [0, 1, 0, 0]) }
        let total = 100_000
        let decoded = try await offThePool { () -> Int in
            var rng = SplitMix64(seed: 13)
            var decoded = 0
            for _ in 0..<total {
                var bytes = frames[rng.below(frames.count)].encode()
                for _ in 0...rng.below(3) { mutate(&bytes, &rng) }
                if (try? WireFrame.decode(bytes)) != nil { decoded += 1 }
            }
            return decoded
        }
        print("fuzz wire frames: \(total) inputs, \(decoded) decoded, \(total - decoded) refused")
        #expect(decoded > 0 && decoded < total)
    }
}
