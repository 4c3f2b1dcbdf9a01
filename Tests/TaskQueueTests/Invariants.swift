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
        for (i, record) in tasks.enumerated() {
            scanned[record.state, default: 0] += 1
            if record.id != "t-\(i + 1)" { problems.append("task \(i) has id \(record.id)") }
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
        if state.acceptedCompletions != scanned[.succeeded] { problems.append("acceptedCompletions != succeeded tasks") }
        return problems
    }
}
