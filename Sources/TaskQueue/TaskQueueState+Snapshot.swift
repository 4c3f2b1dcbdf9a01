import BinaryCoding

extension TaskQueueState {
    /// The snapshot format this code writes; it reads this one, format 2 (no retention: every
    /// task ever made, ids dense) and format 1 (no start times either).
    static let snapshotFormat: UInt8 = 3

    /// The full state in binary, byte-for-byte identical for equal states, for Raft log compaction.
    /// Only tasks, the queue and finishing orders, remembered keys and counters are stored; every
    /// index is rebuilt on restore.
    public func snapshot() -> [UInt8] {
        var w = ByteWriter(capacity: 16 + records.count * 96 + removedKeys.count * 24)  // an echo task takes ~70 bytes
        w.write(Self.snapshotFormat)
        w.write(varint: nextPosition)
        w.write(varint: records.count)
        var previous = -1
        records.forEach { record in
            // The id is implied by the position, stored as the gap the removed tasks left.
            let p = Self.number(of: record.id)! - 1
            w.write(varint: p - previous - 1)
            previous = p
            w.write(record.key)
            record.spec.encode(into: &w)
            w.write(UInt8(record.state.code))
            w.write(optional: record.node)
            w.write(varint: record.epoch)
            w.write(varint: record.attempts)
            w.write(varint: record.submittedAt)
            w.write(varint: record.updatedAt)
            w.write(optional: record.result)
            w.write(optional: record.error)
            w.write(varint: record.startedAt.map { $0 &+ 1 } ?? 0)
        }
        w.write(varint: fifo.count)
        for p in fifo.positions { w.write(varint: p) }
        w.write(varint: staleRejections)
        w.write(varint: acceptedCompletions)
        w.write(varint: removedTasks)
        w.write(varint: finishedOrder.count)
        for p in finishedOrder.elements { w.write(varint: p) }
        w.write(varint: forgottenKeys)
        w.write(varint: removedKeys.count)
        for k in removedKeys.elements {
            w.write(k.key)
            w.write(varint: Self.number(of: k.id)!)
            w.write(varint: k.submittedAt)
        }
        return w.bytes
    }

    /// Restores a state from `snapshot()`'s bytes. Rejects anything `apply` could not have produced
    /// in a way that would break the indexes or invariants: repeated keys, invalid specs,
    /// queue, finishing order and states disagreeing, remembered keys that clash with held ones, a
    /// completion count below the succeeded tasks (or above it before retention existed).
    public init(snapshot bytes: [UInt8]) throws(DecodingError) {
        self.init()
        var r = ByteReader(bytes)
        let format = try r.readByte()
        guard (1...Self.snapshotFormat).contains(format) else {
            throw .unknownTag(offset: 0, tag: format, type: "task queue snapshot format")
        }
        let declaredNext = format >= 3 ? try r.readCount() : nil
        let count = try r.readCount()
        var held: [Int] = []
        held.reserveCapacity(min(count, r.remaining))
        var p = -1
        for _ in 0..<count {
            let start = r.offset
            let gap = format >= 3 ? try r.readCount() : 0
            guard p < Int.max - gap - 1 else { throw .invalid(offset: start, reason: "task position overflows") }
            p += gap + 1
            let key = try r.readString()
            var spec = try TaskSpec.decode(from: &r)
            spec.args = shared(spec.args)
            let state = try TaskState.decode(from: &r)
            var record = TaskRecord(
                id: Self.id(forPosition: p), key: key, spec: spec, state: state,
                node: try r.readOptionalString(), epoch: try r.readVarint(), attempts: try r.readInt(),
                submittedAt: try r.readVarint(), updatedAt: try r.readVarint(),
                result: try r.readOptionalString(), error: try r.readOptionalString())
            if format >= 2 {
                let started = try r.readVarint()
                record.startedAt = started == 0 ? nil : started - 1
            }
            if let problem = TaskSpec.problem(key: key, spec: spec) {
                throw .invalid(offset: start, reason: "task \(record.id): \(problem)")
            }
            guard positionByKey[key] == nil else {
                throw .invalid(offset: start, reason: "task \(record.id) repeats an idempotency key")
            }
            if state == .queued && record.node != nil {
                throw .invalid(offset: start, reason: "queued task \(record.id) has a node")
            }
            if state.isActive && (record.node == nil || record.epoch == 0) {
                throw .invalid(offset: start, reason: "\(state.rawValue) task \(record.id) has no node or epoch")
            }
            positionByKey[key] = p
            records.append(record, at: p)
            held.append(p)
        }
        nextPosition = p + 1
        if let declaredNext {
            guard declaredNext >= nextPosition else {
                throw .invalid(offset: 1, reason: "next position \(declaredNext) is below task \(Self.id(forPosition: p))")
            }
            nextPosition = declaredNext
        }
        let all = records.all

        let queueOffset = r.offset
        let queueLength = try r.readCount()
        let queuedCount = all.reduce(0) { $0 + ($1.state == .queued ? 1 : 0) }
        guard queueLength == queuedCount else {
            throw .invalid(offset: queueOffset, reason: "queue holds \(queueLength) tasks, \(queuedCount) are queued")
        }
        var order: [Int] = []
        order.reserveCapacity(queueLength)
        var seen = Set<Int>()
        for _ in 0..<queueLength {
            let offset = r.offset
            let p = try r.readInt()
            guard records.record(at: p)?.state == .queued, seen.insert(p).inserted else {
                throw .invalid(offset: offset, reason: "queue entry \(p) is repeated or not queued")
            }
            order.append(p)
        }
        staleRejections = try r.readInt()
        let acceptedOffset = r.offset
        acceptedCompletions = try r.readInt()
        let succeeded = all.reduce(0) { $0 + ($1.state == .succeeded ? 1 : 0) }
        if format >= 3 {
            try readRetention(&r, finished: all.reduce(0) { $0 + ($1.state.isFinal ? 1 : 0) })
        }
        // Retention removes succeeded tasks: at most that many completions are no longer held.
        guard acceptedCompletions >= succeeded, acceptedCompletions - succeeded <= removedTasks else {
            throw .invalid(offset: acceptedOffset, reason: "\(acceptedCompletions) accepted completions, \(succeeded) succeeded tasks, \(removedTasks) removed")
        }
        if format < 3 {
            // Before retention: the finishing order is taken as the order of the last changes.
            let finished = held.filter { records[$0].state.isFinal }
            for p in finished.sorted(by: { (records[$0].updatedAt, $0) < (records[$1].updatedAt, $1) }) { finishedOrder.append(p) }
        }
        try r.expectEnd()

        for p in held where records[p].state != .queued { enter(p) }
        for p in order { enter(p) }
    }

    /// Format 3's retention part: removals so far, the finishing order (exactly the finished
    /// tasks held), and the remembered keys of removed tasks (none held, none repeated).
    private mutating func readRetention(_ r: inout ByteReader, finished: Int) throws(DecodingError) {
        removedTasks = try r.readInt()
        let orderOffset = r.offset
        let orderLength = try r.readCount()
        guard orderLength == finished else {
            throw .invalid(offset: orderOffset, reason: "finishing order holds \(orderLength) tasks, \(finished) are finished")
        }
        var seen = Set<Int>()
        for _ in 0..<orderLength {
            let offset = r.offset
            let p = try r.readInt()
            guard records.record(at: p)?.state.isFinal == true, seen.insert(p).inserted else {
                throw .invalid(offset: offset, reason: "finishing order entry \(p) is repeated or not finished")
            }
            finishedOrder.append(p)
        }
        forgottenKeys = try r.readInt()
        let keyCount = try r.readCount()
        for _ in 0..<keyCount {
            let offset = r.offset
            let key = try r.readString()
            let n = try r.readInt()
            let submittedAt = try r.readVarint()
            guard n >= 1, n <= nextPosition, !records.contains(n - 1) else {
                throw .invalid(offset: offset, reason: "remembered key \(key) names task t-\(n), which is held or was never made")
            }
            guard positionByKey[key] == nil, removedKeyIndex[key] == nil else {
                throw .invalid(offset: offset, reason: "remembered key \(key) is repeated or held by a task")
            }
            let id = Self.id(forPosition: n - 1)
            removedKeys.append(RemovedKey(key: key, id: id, submittedAt: submittedAt))
            removedKeyIndex[key] = id
        }
    }
}
