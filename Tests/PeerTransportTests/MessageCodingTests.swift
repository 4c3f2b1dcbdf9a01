import BinaryCoding
import RaftCore
import Testing
import TestSupport

/// One message of every body kind, with non-trivial field values.
func sampleMessages() -> [Message] {
    var entries: [Entry] = []
    var hash = Entry.genesisHash
    for (i, kind) in [EntryKind.noop, .normal, .config].enumerated() {
        let e = Entry(index: 41 + UInt64(i), term: 7, kind: kind, data: Array("entry-\(i)".utf8), previousHash: hash)
        hash = e.hash
        entries.append(e)
    }
    let membership = Membership([
        Member(id: "n1", isVoter: true, address: "127.0.0.1:7001|127.0.0.1:8001"),
        Member(id: "n2", isVoter: true, address: "127.0.0.1:7002"),
        Member(id: "n4", isVoter: false),
    ])
    let meta = SnapshotMetadata(index: 40, term: 6, hash: 0xdead_beef_cafe_f00d, membership: membership)
    let bodies: [Message.Body] = [
        .preVote(lastIndex: 40, lastTerm: 6),
        .preVoteResponse(granted: true),
        .vote(lastIndex: UInt64.max, lastTerm: 1 << 40, transfer: true),
        .voteResponse(granted: false),
        .append(prevIndex: 40, prevTerm: 6, entries: entries, commit: 39),
        .append(prevIndex: 0, prevTerm: 0, entries: [], commit: 0),
        .appendResponse(success: false, index: 43, hintIndex: 12, hintTerm: 3),
        .heartbeat(commit: 99, context: 12345),
        .heartbeatResponse(context: 12345),
        .snapshot(metadata: meta, offset: 4096, totalSize: 10_000, chunk: (0..<200).map { UInt8($0) }),
        .snapshot(metadata: .empty, offset: 0, totalSize: 0, chunk: []),
        .snapshotResponse(index: 40, received: 4296),
        .timeoutNow,
    ]
    return bodies.enumerated().map { i, body in
        Message(from: "n\(i % 3 + 1)", to: "ñode-\(i)", term: UInt64(i) * 1_000_003, body: body)
    }
}

@Suite struct MessageCodingTests {
    @Test func samplesCoverEveryBodyKind() {
        #expect(Set(sampleMessages().map(\.body.tag)) == Set(1...11))
    }

    @Test func everyBodyKindRoundTrips() throws {
        for m in sampleMessages() {
            #expect(try Message.decode(m.encode()) == m, "\(m.body.name)")
        }
    }

    @Test func everyTruncationThrows() {
        for m in sampleMessages() {
            let bytes = m.encode()
            for n in 0..<bytes.count {
                #expect(throws: DecodingError.self, "\(m.body.name) cut to \(n) of \(bytes.count) bytes") {
                    try Message.decode(Array(bytes[..<n]))
                }
            }
        }
    }

    @Test func trailingBytesAreRejected() {
        for m in sampleMessages() {
            let bytes = m.encode()
            #expect(throws: DecodingError.trailingBytes(offset: bytes.count, count: 1)) {
                try Message.decode(bytes + [0])
            }
        }
    }

    @Test(arguments: [UInt8(0), 12, 200, 255])
    func unknownTagsAreRejected(tag: UInt8) {
        var bytes = Message(from: "a", to: "b", term: 1, body: .timeoutNow).encode()
        bytes[0] = tag
        #expect(throws: DecodingError.unknownTag(offset: 0, tag: tag, type: "Message.Body")) {
            try Message.decode(bytes)
        }
    }

    @Test func aHugeEntryCountIsRejectedBeforeAllocating() {
        var w = ByteWriter()
        w.write(UInt8(5))  // append
        w.write("n1")
        w.write("n2")
        w.write(varint: UInt64(1))
        w.write(varint: UInt64(0))  // prevIndex
        w.write(varint: UInt64(0))  // prevTerm
        w.write(varint: UInt64(0))  // commit
        w.write(varint: UInt64(60_000_000))  // entries: far more than the input can hold
        #expect(throws: DecodingError.self) { try Message.decode(w.bytes) }
        var over = ByteWriter()
        over.write(varint: UInt64.max)
        #expect(throws: DecodingError.self) { try Message.decode(Array(w.bytes.dropLast(4)) + over.bytes) }
    }

    @Test func entriesMustFollowPrevIndex() {
        let e = Entry(index: 9, term: 1, kind: .normal, data: [1], previousHash: Entry.genesisHash)
        let gap = Message(from: "n1", to: "n2", term: 1, body: .append(prevIndex: 3, prevTerm: 1, entries: [e], commit: 0))
        #expect(throws: DecodingError.self) { try Message.decode(gap.encode()) }
        let last = Entry(index: 0, term: 1, kind: .normal, data: [], previousHash: Entry.genesisHash)
        let wrap = Message(from: "n1", to: "n2", term: 1, body: .append(prevIndex: .max, prevTerm: 1, entries: [last], commit: 0))
        #expect(throws: DecodingError.self) { try Message.decode(wrap.encode()) }
    }

    @Test func snapshotChunksMustLieInsideTheSnapshot() {
        let past = Message(from: "n1", to: "n2", term: 1,
                           body: .snapshot(metadata: .empty, offset: 8, totalSize: 10, chunk: [1, 2, 3]))
        #expect(throws: DecodingError.self) { try Message.decode(past.encode()) }
        let negative = Message(from: "n1", to: "n2", term: 1, body: .snapshotResponse(index: 1, received: -1))
        #expect(throws: DecodingError.self) { try Message.decode(negative.encode()) }
    }

    /// Mutated encodings never trap; whatever does decode re-encodes to an equal message.
    @Test func seededMutationFuzzNeverTraps() async throws {
        try await heavy { () async throws in
            var rng = SplitMix64(seed: 0xF17_0715)
            let seeds = sampleMessages().map { $0.encode() }
            var decoded = 0
            for _ in 0..<100_000 {
                var bytes: [UInt8]
                if rng.chance(0.1) {
                    bytes = (0..<rng.below(48)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                } else {
                    bytes = seeds[rng.below(seeds.count)]
                    for _ in 0...rng.below(4) { mutate(&bytes, &rng) }
                }
                guard let m = try? Message.decode(bytes) else { continue }
                decoded += 1
                #expect(try Message.decode(m.encode()) == m)
            }
            #expect(decoded > 0)
        }
    }
}

/// One random edit: flip a bit, overwrite, insert, delete, truncate, or duplicate a run.
func mutate(_ bytes: inout [UInt8], _ rng: inout SplitMix64) {
    let interesting: [UInt8] = [0, 1, 0x7f, 0x80, 0xff]
    switch rng.below(6) {
    case 0 where !bytes.isEmpty:
        bytes[rng.below(bytes.count)] ^= 1 << UInt8(rng.below(8))
    case 1 where !bytes.isEmpty:
        bytes[rng.below(bytes.count)] = rng.chance(0.5) ? interesting[rng.below(interesting.count)]
                                                        : UInt8(truncatingIfNeeded: rng.next())
    case 2:
        bytes.insert(UInt8(truncatingIfNeeded: rng.next()), at: rng.below(bytes.count + 1))
    case 3 where !bytes.isEmpty:
        bytes.remove(at: rng.below(bytes.count))
    case 4:
        bytes = Array(bytes.prefix(rng.below(bytes.count + 1)))
    case 5 where !bytes.isEmpty:
        let start = rng.below(bytes.count)
        let run = bytes[start..<min(bytes.count, start + 1 + rng.below(8))]
        bytes.insert(contentsOf: run, at: rng.below(bytes.count + 1))
    default:
        bytes.append(UInt8(truncatingIfNeeded: rng.next()))
    }
}
