import BinaryCoding
import TaskQueue

/// Generates random, mostly meaningful command batches against the current state: valid transitions
/// most of the time, and stale, duplicate, unknown or invalid ones often enough to exercise rejections.
struct CommandGenerator {
    var rng: SplitMix64
    var clock: UInt64 = 1_000
    var keys = 0
    /// How often a batch is a retention `expire` (0 in the tests whose model knows no retention).
    var expireChance = 0.0
    static let nodes = ["n1", "n2", "n3"]
    static let kinds = ["echo", "sleep", "hash", "fail"]

    init(seed: UInt64) { rng = SplitMix64(seed: seed) }

    mutating func node() -> String {
        rng.chance(0.05) ? "n9" : Self.nodes[rng.below(Self.nodes.count)]
    }

    mutating func spec() -> TaskSpec {
        var args: [String: String] = [:]
        for i in 0..<rng.below(3) { args["a\(rng.below(5))"] = "v\(i)\(rng.below(100))" }
        let target: String? = rng.chance(0.25) ? node() : nil
        let maxAttempts = rng.chance(0.03) ? 0 : 1 + rng.below(4)
        let timeoutMs: UInt64? = rng.chance(0.5) ? UInt64(1 + rng.below(10_000)) : nil
        return TaskSpec(kind: Self.kinds[rng.below(Self.kinds.count)], args: args, target: target,
                        maxAttempts: maxAttempts, timeoutMs: timeoutMs)
    }

    mutating func pick(_ records: [TaskRecord]) -> TaskRecord? {
        records.isEmpty ? nil : records[rng.below(records.count)]
    }

    /// A stale or bogus (node, epoch) for `record` most of the time differs from the current one.
    mutating func fencing(for record: TaskRecord, honest: Double) -> (String, UInt64) {
        if rng.chance(honest), let node = record.node { return (node, record.epoch) }
        switch rng.below(3) {
        case 0: return (node(), record.epoch)
        case 1: return (record.node ?? node(), record.epoch == 0 ? 0 : record.epoch - 1)
        default: return (record.node ?? node(), record.epoch + 1)
        }
    }

    mutating func next(for state: TaskQueueState) -> [Command] {
        clock += UInt64(rng.below(100))
        let at = clock
        let tasks = state.tasks
        let active = tasks.filter { $0.state == .assigned || $0.state == .running }
        if expireChance > 0, rng.chance(expireChance) {
            let limits = RetentionLimits(finishedBefore: at - min(at, UInt64(rng.below(3_000))), keepFinished: rng.below(8),
                                         keysBefore: at - min(at, UInt64(rng.below(6_000))), limit: 1 + rng.below(6))
            return [.expire(limits, at: at)]
        }
        switch rng.below(100) {
        case 0..<20:
            let key: String
            if keys > 0 && rng.chance(0.2) {
                key = "key-\(rng.below(keys))"
            } else if rng.chance(0.01) {
                key = ""
            } else {
                key = "key-\(keys)"
                keys += 1
            }
            return [.submit(key: key, spec: spec(), at: at)]
        case 20..<34:
            var capacity: [String: Int] = [:]
            for node in Self.nodes where rng.chance(0.8) { capacity[node] = rng.below(4) }
            let batch = state.schedule(capacity: capacity, at: at, limit: 1 + rng.below(4))
            if !batch.isEmpty { return batch }
            fallthrough
        case 34..<40:
            guard let record = pick(tasks) else { return [.requeue(node: node(), at: at)] }
            let epoch = rng.chance(0.7) ? record.epoch + 1 : UInt64(rng.below(4))
            return [.assign(task: record.id, node: record.spec.target ?? node(), epoch: epoch, at: at)]
        case 40..<52:
            guard let record = pick(rng.chance(0.85) ? active : tasks) else { return [] }
            let (node, epoch) = fencing(for: record, honest: 0.8)
            return [.start(task: record.id, node: node, epoch: epoch, at: at)]
        case 52..<66:
            guard let record = pick(rng.chance(0.85) ? active : tasks) else { return [] }
            let (node, epoch) = fencing(for: record, honest: 0.75)
            return [.complete(task: record.id, node: node, epoch: epoch, result: "r\(rng.below(1000))", at: at)]
        case 66..<76:
            guard let record = pick(rng.chance(0.85) ? active : tasks) else { return [] }
            let (node, epoch) = fencing(for: record, honest: 0.75)
            return [.fail(task: record.id, node: node, epoch: epoch, message: "boom \(rng.below(10))", at: at)]
        case 76..<81:
            guard let record = pick(tasks) else { return [] }
            return [.cancel(task: record.id, at: at)]
        case 81..<88:
            guard let record = pick(rng.chance(0.8) ? active : tasks) else { return [] }
            let epoch = rng.chance(0.8) ? record.epoch : record.epoch + 1
            return [.timeout(task: record.id, epoch: epoch, at: at)]
        case 88..<94:
            return [.requeue(node: node(), at: at)]
        default:
            let bogus = ["t-0", "t-01", "t-\(tasks.count + 1)", "x-1", "", "t-", "t-99999999999999999999"]
            let id = bogus[rng.below(bogus.count)]
            switch rng.below(4) {
            case 0: return [.complete(task: id, node: node(), epoch: 1, result: "?", at: at)]
            case 1: return [.cancel(task: id, at: at)]
            case 2: return [.assign(task: id, node: node(), epoch: 1, at: at)]
            default: return [.timeout(task: id, epoch: 0, at: at)]
            }
        }
    }

    /// A state reached by `steps` random batches from empty.
    static func randomState(seed: UInt64, steps: Int) -> TaskQueueState {
        var generator = CommandGenerator(seed: seed)
        var state = TaskQueueState()
        for _ in 0..<steps {
            for command in generator.next(for: state) { _ = state.apply(command) }
        }
        return state
    }
}
