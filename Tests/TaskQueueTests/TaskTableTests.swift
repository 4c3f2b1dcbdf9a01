import BinaryCoding
import Testing
@testable import TaskQueue

/// `TaskTable` behaves as a dictionary from position to task under random appends, removals
/// anywhere and changes, walks in id order either way, and a copy keeps its tasks.
@Suite("Task table")
struct TaskTableTests {
    static func record(_ p: Int) -> TaskRecord {
        TaskRecord(id: TaskQueueState.id(forPosition: p), key: "k\(p)", spec: TaskSpec(kind: "echo"), state: .queued,
                   node: nil, epoch: 0, attempts: 0, submittedAt: 1, updatedAt: 1, result: nil, error: nil)
    }

    static func contents(_ table: TaskTable) -> [Int: TaskRecord] {
        var out: [Int: TaskRecord] = [:]
        table.walk(after: nil, descending: false) { out[$0] = $1; return true }
        return out
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func matchesADictionaryWithCopiesTakenMidway(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        var table = TaskTable()
        var model: [Int: TaskRecord] = [:]
        var next = 0
        var copies: [(TaskTable, [Int: TaskRecord])] = []
        for step in 0..<8_000 {
            switch rng.below(8) {
            case 0...2:
                table.append(Self.record(next), at: next)
                model[next] = Self.record(next)
                next += 1 + rng.below(3)
            case 3 where !model.isEmpty:
                // Mostly the oldest, as retention removes: the front empties and is given back.
                let p = model.keys.min()!
                #expect(table.remove(p) == model.removeValue(forKey: p))
            case 4 where next > 0:
                let p = rng.below(next)
                #expect(table.remove(p) == model.removeValue(forKey: p))
            case 5 where next > 0:
                let p = rng.below(next)
                if model[p] != nil {
                    table[p].attempts += 1
                    model[p]!.attempts += 1
                }
                #expect(table.contains(p) == (model[p] != nil))
            default:
                break
            }
            #expect(table.count == model.count)
            if step % 400 == 0 {
                copies.append((table, model))
                #expect(Self.contents(table) == model)
            }
        }
        #expect(Self.contents(table) == model)
        // Removals behind the first task leave holes until they outnumber the tasks: compaction.
        var held = model.keys.sorted()
        while held.count > 10 {
            let p = held.remove(at: 1 + rng.below(held.count - 1))
            #expect(table.remove(p) == model.removeValue(forKey: p))
            if held.count % 50 == 0 { copies.append((table, model)) }
        }
        for _ in 0..<600 {
            table.append(Self.record(next), at: next)
            model[next] = Self.record(next)
            next += 1
        }
        #expect(Self.contents(table) == model)
        #expect(table.all.map(\.id) == model.keys.sorted().map { TaskQueueState.id(forPosition: $0) })
        var descending: [Int] = []
        table.walk(after: nil, descending: true) { p, _ in descending.append(p); return true }
        #expect(descending == model.keys.sorted().reversed())
        if let middle = model.keys.sorted().dropFirst(model.count / 2).first {
            var after: [Int] = []
            table.walk(after: middle, descending: false) { p, _ in after.append(p); return true }
            #expect(after == model.keys.sorted().filter { $0 > middle })
        }
        for (copy, expected) in copies { #expect(Self.contents(copy) == expected) }
    }
}
