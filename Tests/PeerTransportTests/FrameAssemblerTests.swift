import BinaryCoding
import NIOCore
@testable import PeerTransport
import RaftCore
import Testing
import TestSupport

/// Feeds `stream` to the frame parser in random chunks, as TCP would deliver it.
/// Returns the payloads parsed and the error that stopped parsing, if any.
func parseInChunks(_ stream: [UInt8], maxFrameSize: Int, rng: inout SplitMix64) -> ([[UInt8]], FrameError?) {
    var assembler = FrameAssembler()
    var frames: [[UInt8]] = []
    var at = 0
    while at < stream.count {
        let n = min(stream.count - at, 1 + rng.below(64))
        var read = ByteBuffer(bytes: stream[at..<(at + n)])
        at += n
        do {
            while let frame = try assembler.next(from: &read, limit: maxFrameSize, allocator: ByteBufferAllocator()) {
                frames.append(Array(frame.readableBytesView))
            }
        } catch {
            return (frames, error)
        }
        precondition(read.readableBytes == 0, "a read is used up")
    }
    return (frames, nil)
}

func framed(_ payloads: [[UInt8]]) -> [UInt8] {
    var buffer = ByteBuffer()
    for p in payloads { FrameAssembler.writeFrame(p, into: &buffer) }
    return Array(buffer.readableBytesView)
}

@Suite struct FrameAssemblerTests {
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
        let allocator = ByteBufferAllocator()
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt32(1025), endianness: .big)
        buffer.writeBytes([1, 2, 3])
        var assembler = FrameAssembler()
        #expect(throws: FrameError.frameTooLarge(length: 1025, limit: 1024)) {
            try assembler.next(from: &buffer, limit: 1024, allocator: allocator)
        }
        #expect(buffer.readableBytes == 3, "nothing of the payload taken")
        var huge = ByteBuffer(bytes: [0xff, 0xff, 0xff, 0xff])
        var fresh = FrameAssembler()
        #expect(throws: FrameError.frameTooLarge(length: .max, limit: 16 << 20)) {
            try fresh.next(from: &huge, limit: 16 << 20, allocator: allocator)
        }
        var exact = ByteBuffer()
        FrameAssembler.writeFrame([UInt8](repeating: 7, count: 1024), into: &exact)
        var third = FrameAssembler()
        #expect(try third.next(from: &exact, limit: 1024, allocator: allocator)?.readableBytes == 1024)
    }

    @Test func anIncompleteFrameWaitsForMoreBytesInABufferOfItsOwnSize() throws {
        let allocator = ByteBufferAllocator()
        var assembler = FrameAssembler()
        var first = ByteBuffer(bytes: [0, 0])
        #expect(try assembler.next(from: &first, limit: 16, allocator: allocator) == nil)
        #expect(assembler.isMidFrame)
        var second = ByteBuffer(bytes: [0, 3, 1, 2])
        #expect(try assembler.next(from: &second, limit: 16, allocator: allocator) == nil)
        #expect(assembler.progress.received == 2 && assembler.progress.length == 3)
        var third = ByteBuffer(bytes: [3, 0, 0])
        #expect(try assembler.next(from: &third, limit: 16, allocator: allocator).map { Array($0.readableBytesView) } == [1, 2, 3])
        #expect(!assembler.isMidFrame)
        #expect(third.readableBytes == 2, "the next frame's bytes are left in the read")
        #expect(try assembler.next(from: &third, limit: 16, allocator: allocator) == nil)
        #expect(assembler.isMidFrame && third.readableBytes == 0)

        // A frame of 15 MiB + 1 gathered from 64 KiB reads is held in one 16 MiB buffer, not 32.
        var big = FrameAssembler()
        let length = (15 << 20) + 1
        var header = ByteBuffer()
        header.writeInteger(UInt32(length), endianness: .big)
        header.writeBytes([UInt8](repeating: 1, count: 100))
        #expect(try big.next(from: &header, limit: 16 << 20, allocator: allocator) == nil)
        var sent = 100
        var frame: ByteBuffer?
        while frame == nil {
            var read = ByteBuffer(repeating: 1, count: min(64 << 10, length - sent + 10))
            sent += read.readableBytes
            frame = try big.next(from: &read, limit: 16 << 20, allocator: allocator)
            if frame != nil { #expect(read.readableBytes == 10) }
        }
        #expect(frame?.readableBytes == length)
        #expect(frame?.capacity == 16 << 20)
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
        let nonce = (0..<32).map { UInt8($0) }
        let frames: [WireFrame] = [
            .hello(PeerHello(protocolVersion: 2, nonce: nonce)),
            .challenge(nonce: nonce.reversed()),
            .proof(PeerProof(nodeID: "n1", incarnation: 7, mac: [UInt8](repeating: 9, count: 32))),
            .accept(PeerProof(nodeID: "", incarnation: .max, mac: [UInt8](repeating: 1, count: 32))),
            .refuse(reason: "protocol version mismatch (ours 2, theirs 1)"),
            .message(sampleMessages()[4]),
            .state([]),
            .state([0, 1, 2, 250]),
        ]
        for f in frames { #expect(try WireFrame.decode(f.encode()) == f) }
        #expect(throws: DecodingError.self) { try WireFrame.decode([1] + Array("FLTX".utf8) + [0, 2, 0, 0]) }
        // A hello of another version is read as far as its version, whatever follows.
        #expect(try WireFrame.decode([1] + Array("FLTL".utf8) + [0, 1, 4] + Array("prod".utf8)) == .hello(PeerHello(protocolVersion: 1, nonce: [])))
        #expect(throws: DecodingError.self) { try WireFrame.decode([5, 3, 1, 2, 3]) }
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
