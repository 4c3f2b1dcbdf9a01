import BinaryCoding
import Testing
@testable import TaskQueue

/// `ChunkedArray` behaves as a plain array under random operations, and a copy taken at any
/// point keeps its contents while the original changes, sharing every chunk not changed.
@Suite("Chunked array")
struct ChunkedArrayTests {
    /// The bits of an array's storage reference: equal means one shared heap block.
    static func storage(_ chunk: [String]) -> [UInt8] { withUnsafeBytes(of: chunk) { Array($0) } }

    @Test(arguments: [1, 2, 3, 4] as [UInt64])
    func matchesAnArrayWithCopiesTakenMidway(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        var chunked = ChunkedArray<String>()
        var model: [String] = []
        var copies: [(ChunkedArray<String>, [String])] = []
        var serial = 0
        for step in 0..<6_000 {
            switch rng.below(10) {
            case 0...4:
                for _ in 0..<(1 + rng.below(40)) {
                    chunked.append("e\(serial)")
                    model.append("e\(serial)")
                    serial += 1
                }
            case 5 where !model.isEmpty:
                let k = rng.below(min(model.count, 30) + 1)
                chunked.removeFirst(k)
                model.removeFirst(k)
            case 6 where !model.isEmpty:
                let k = rng.below(min(model.count, 30) + 1)
                chunked.removeLast(k)
                model.removeLast(k)
            case 7 where !model.isEmpty:
                let i = rng.below(model.count)
                chunked[i] += "!"
                model[i] += "!"
            case 8 where model.count > 1:
                let (i, j) = (rng.below(model.count), rng.below(model.count))
                chunked.swapAt(i, j)
                model.swapAt(i, j)
            case 9 where rng.below(50) == 0:
                chunked.removeAll()
                model.removeAll()
            default:
                break
            }
            #expect(chunked.count == model.count)
            if step % 97 == 0 { copies.append((chunked, model)) }
            if step % 500 == 0 { #expect(Array(chunked) == model) }
        }
        #expect(Array(chunked) == model)
        #expect(chunked.first == model.first && chunked.last == model.last)
        for (copy, expected) in copies {
            #expect(Array(copy) == expected)
            #expect(copy == ChunkedArray(expected))
        }
    }

    @Test func aChangeAfterACopyCopiesOneChunk() {
        var chunked = ChunkedArray(( 0..<10_000).map { "e\($0)" })
        let frozen = chunked
        chunked[5_000] = "changed"
        chunked.append("new")
        #expect(frozen[5_000] == "e5000" && frozen.count == 10_000)
        #expect(chunked[5_000] == "changed" && chunked.count == 10_001)
        let pairs = zip(chunked.chunks, frozen.chunks)
        let shared = pairs.filter { Self.storage($0.0) == Self.storage($0.1) }.count
        // 20 chunks of 512: the changed one and the appended-to last one are copied.
        #expect(frozen.chunks.count == 20)
        #expect(shared == 18)
    }

    @Test func partitionPointMatchesALinearSearch() {
        var rng = SplitMix64(seed: 7)
        for _ in 0..<40 {
            var model = (0..<rng.below(3_000)).map { $0 * 2 + rng.below(2) }
            var chunked = ChunkedArray(model)
            let dropped = rng.below(model.count + 1)
            chunked.removeFirst(dropped)
            model.removeFirst(dropped)
            for _ in 0..<50 {
                let p = rng.below(6_002) - 1
                #expect(chunked.partitionPoint { $0 >= p } == (model.firstIndex { $0 >= p } ?? model.count))
                #expect(chunked.partitionPoint { $0 > p } == (model.firstIndex { $0 > p } ?? model.count))
            }
        }
    }

    @Test func removingFromTheFrontGivesChunksBack() {
        var chunked = ChunkedArray((0..<2_000).map { "e\($0)" })
        chunked.removeFirst(1_100)
        #expect(chunked.chunks.count == 2)
        #expect(chunked.first == "e1100" && chunked.count == 900)
        chunked.removeLast(900)
        #expect(chunked.isEmpty && chunked.chunks.isEmpty)
    }
}

extension ChunkedArray {
    init(_ elements: [Element]) {
        self.init()
        for e in elements { append(e) }
    }
}
