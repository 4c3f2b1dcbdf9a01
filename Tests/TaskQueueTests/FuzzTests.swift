import BinaryCoding
import Testing
import TestSupport
import TaskQueue

/// Seeded mutation fuzzing: decoders must throw on garbage, never trap, and whatever they
/// accept must behave like a real value.
@Suite("Decoder fuzzing")
struct FuzzTests {
    /// Applies one to four random edits: overwrite, insert, delete, truncate, duplicate a slice, or
    /// plant a byte that stresses varints and lengths.
    static func mutate(_ input: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        var bytes = input
        for _ in 0..<(1 + rng.below(4)) {
            let position = bytes.isEmpty ? 0 : rng.below(bytes.count)
            switch rng.below(7) {
            case 0 where !bytes.isEmpty:
                bytes[position] = UInt8(truncatingIfNeeded: rng.next())
            case 1:
                bytes.insert(UInt8(truncatingIfNeeded: rng.next()), at: bytes.isEmpty ? 0 : rng.below(bytes.count + 1))
            case 2 where !bytes.isEmpty:
                bytes.remove(at: position)
            case 3:
                bytes = Array(bytes.prefix(bytes.isEmpty ? 0 : rng.below(bytes.count)))
            case 4 where !bytes.isEmpty:
                let end = min(bytes.count, position + 1 + rng.below(8))
                bytes.insert(contentsOf: bytes[position..<end], at: rng.below(bytes.count + 1))
            case 5 where !bytes.isEmpty:
                bytes[position] = [0x00, 0x01, 0x7f, 0x80, 0xff, 0xc0, 0xed][rng.below(7)]
            case 6 where !bytes.isEmpty:
                bytes[position] ^= UInt8(1) << UInt8(rng.below(8))
            default:
                bytes.append(UInt8(truncatingIfNeeded: rng.next()))
            }
        }
        return bytes
    }

    static func randomBytes(_ rng: inout SplitMix64, maxLength: Int) -> [UInt8] {
        (0..<rng.below(maxLength + 1)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
    }

    @Test func commandDecoderSurvivesMutations() async throws {
        try await heavy { () async throws in
            var rng = SplitMix64(seed: 0xC0FFEE)
            var corpus = Fixtures.everyCase.map { $0.encode() }
            var generator = CommandGenerator(seed: 7)
            var state = TaskQueueState()
            while corpus.count < 300 {
                for command in generator.next(for: state) {
                    corpus.append(command.encode())
                    _ = state.apply(command)
                }
            }
            var accepted = 0
            var rejected = 0
            for i in 0..<30_000 {
                let input = i % 10 == 0
                    ? Self.randomBytes(&rng, maxLength: 48)
                    : Self.mutate(corpus[rng.below(corpus.count)], &rng)
                do {
                    let command = try Command.decode(input)
                    accepted += 1
                    // Accepted input is a real command: it re-encodes and decodes to itself...
                    #expect(try Command.decode(command.encode()) == command)
                    // ...and any state machine can apply it without trapping.
                    var copy = state
                    _ = copy.apply(command)
                } catch {
                    rejected += 1
                }
            }
            #expect(accepted + rejected == 30_000)
            // Both outcomes are exercised: the fuzz is neither all garbage nor all no-ops.
            #expect(accepted > 1_000)
            #expect(rejected > 1_000)
        }
    }

    @Test func snapshotDecoderSurvivesMutations() async throws {
        try await heavy { () async throws in
            var rng = SplitMix64(seed: 0xBADC0DE)
            let corpus = (0..<8).map { CommandGenerator.randomState(seed: UInt64($0) + 40, steps: 5 + $0 * 12).snapshot() }
            var accepted = 0
            var rejected = 0
            for i in 0..<24_000 {
                let input = i % 10 == 0
                    ? Self.randomBytes(&rng, maxLength: 64)
                    : Self.mutate(corpus[rng.below(corpus.count)], &rng)
                let restored: TaskQueueState
                do {
                    restored = try TaskQueueState(snapshot: input)
                } catch {
                    rejected += 1
                    continue
                }
                accepted += 1
                // Whatever was accepted is a consistent state: it round-trips and keeps working.
                let bytes = restored.snapshot()
                #expect(try TaskQueueState(snapshot: bytes) == restored)
                if accepted % 20 == 0 {
                    var copy = restored
                    var generator = CommandGenerator(seed: UInt64(i))
                    for _ in 0..<20 {
                        for command in generator.next(for: copy) { _ = copy.apply(command) }
                    }
                    #expect(Invariants.violations(of: copy).isEmpty)
                }
            }
            #expect(accepted + rejected == 24_000)
            #expect(accepted > 500)
            #expect(rejected > 1_000)
        }
    }
}
