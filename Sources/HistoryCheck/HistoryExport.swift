/// Writes a history in Jepsen's form, for Jepsen's own checkers (the grow-only set's `set-full`,
/// through elle-cli) to read.
public enum HistoryExport {
    /// One JSON object per line, an invoke and a completion per operation, in time order:
    /// `{"index":0,"type":"invoke","process":3,"f":"add","value":"s1-17","time":123456}`.
    ///
    /// A completion's type is "ok", "fail" or "info" (outcome unknown); an operation that never
    /// returned gets its "info" at the end of the history. Reads that saw only part of the table
/// (`from` set) are left out, as Jepsen's set checkers take every read for the whole set. Adds carry their key; a read's invoke
    /// carries null and its "ok" the keys it saw, sorted. A key-value store's puts are "write"s and
    /// its gets "read"s of `[key, value]` pairs, as Jepsen's independent registers write them (a
    /// get's invoke, and an absent key, carry null for the value). At equal times invokes come first, so
    /// operations that touch read as concurrent. The process is the client, except that Jepsen
    /// gives a process one operation at a time and none after an "info": a client's operation
    /// that would break that goes to a fresh process, the client plus a multiple of the client count.
    public static func jsonLines(_ history: [HistoryOperation]) -> String {
        // Jepsen's set checkers take a read for the whole set: a scoped read would read as losses.
        let history = history.filter { op in
            if case .read = op.kind, op.from != nil { return false }
            return true
        }
        let end = history.map { max($0.call, $0.ret ?? $0.call) }.max() ?? 0
        let events = history.indices.flatMap { i in [Event(operation: i, invoke: true, time: history[i].call, phase: 0),
                                                      completion(of: i, history[i], end: end)] }
            .sorted { ($0.time, $0.phase, $0.operation) < ($1.time, $1.phase, $1.operation) }

        var processes = ProcessNumbers(clients: history.map(\.client))
        var out = ""
        for (index, event) in events.enumerated() {
            let op = history[event.operation]
            let type = event.invoke ? "invoke" : completionType(op)
            let process = event.invoke ? processes.start(event.operation, client: op.client)
                : processes.finish(event.operation, crashed: type == "info")
            out += "{\"index\":\(index),\"type\":\"\(type)\",\"process\":\(process),\"f\":\"\(functionName(op))\","
                + "\"value\":\(value(op, type: type)),\"time\":\(event.time)}\n"
        }
        return out
    }

    private struct Event {
        var operation: Int
        var invoke: Bool
        var time: Int64
        /// 0 invoke, 1 completion, 2 completion at the end of history: the order at equal times.
        var phase: Int
    }

    private static func completion(of i: Int, _ op: HistoryOperation, end: Int64) -> Event {
        if let ret = op.ret { Event(operation: i, invoke: false, time: ret, phase: 1) }
        else { Event(operation: i, invoke: false, time: end, phase: 2) }
    }

    private static func completionType(_ op: HistoryOperation) -> String {
        switch (op.outcome, op.ret) {
        case (.ok, .some): "ok"
        case (.fail, _): "fail"
        default: "info"
        }
    }

    private static func functionName(_ op: HistoryOperation) -> String {
        switch op.kind {
        case .add: "add"
        case .read, .get: "read"
        case .put: "write"
        }
    }

    private static func value(_ op: HistoryOperation, type: String) -> String {
        switch op.kind {
        case .add(let key): JSONString.quoted(key)
        case .read(let keys) where type == "ok": "[" + keys.sorted().map(JSONString.quoted).joined(separator: ",") + "]"
        case .read: "null"
        case .put(let key, let value): "[" + JSONString.quoted(key) + "," + JSONString.quoted(value) + "]"
        case .get(let key, let value?) where type == "ok": "[" + JSONString.quoted(key) + "," + JSONString.quoted(value) + "]"
        case .get(let key, _): "[" + JSONString.quoted(key) + ",null]"
        }
    }
}
