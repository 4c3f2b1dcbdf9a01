import TaskQueue

/// Properties every reachable state must have, checked by scanning (never by trusting the indexes).
enum Invariants {
    static func violations(of state: TaskQueueState) -> [String] {
        var problems: [String] = []
        let tasks = state.tasks

        var scanned: [TaskState: Int] = [:]
        for s in TaskState.allCases { scanned[s] = 0 }
        var load: [String: Int] = [:]
        var keys = Set<String>()
        var previous = 0
        for record in tasks {
            scanned[record.state, default: 0] += 1
            let n = Int(record.id.dropFirst(2)) ?? 0
            if !record.id.hasPrefix("t-") || n <= previous { problems.append("task \(record.id) out of order after t-\(previous)") }
            previous = n
            if state.removedTask(forKey: record.key) != nil { problems.append("key \(record.key) is held and remembered as removed") }
            if state.task(record.id)?.id != record.id { problems.append("task(\(record.id)) finds another task") }
            if !keys.insert(record.key).inserted { problems.append("key \(record.key) names two tasks") }
            if state.task(forKey: record.key)?.id != record.id { problems.append("key \(record.key) maps elsewhere") }
            switch record.state {
            case .queued where record.node != nil:
                problems.append("\(record.id) is queued but held by \(record.node!)")
            case .assigned, .running:
                if let node = record.node { load[node, default: 0] += 1 } else { problems.append("\(record.id) active without node") }
                if record.epoch == 0 { problems.append("\(record.id) active at epoch 0") }
            default:
                break
            }
            if record.spec.maxAttempts < 1 { problems.append("\(record.id) has maxAttempts < 1") }
        }
        if state.counts() != scanned { problems.append("counts \(state.counts()) != scan \(scanned)") }
        for node in Set(load.keys).union(CommandGenerator.nodes + ["n9", ""]) where state.load(on: node) != load[node, default: 0] {
            problems.append("load(on: \(node)) = \(state.load(on: node)), scan says \(load[node, default: 0])")
        }
        let queued = state.queued
        if Set(queued).count != queued.count { problems.append("queue repeats a task") }
        if Set(queued) != Set(tasks.filter { $0.state == .queued }.map(\.id)) { problems.append("queue != queued tasks") }
        let unheld = state.acceptedCompletions - scanned[.succeeded]!
        if unheld < 0 || unheld > state.removedTasks {
            problems.append("acceptedCompletions \(state.acceptedCompletions) against \(scanned[.succeeded]!) succeeded tasks")
        }
        if state.finishedCount != tasks.filter(\.state.isFinal).count { problems.append("finishing order != finished tasks") }
        return problems
    }
}
