import BinaryCoding

extension TaskQueueState {
    /// The snapshot format this code writes; it reads this one and format 1 (no start times).
    static let snapshotFormat: UInt8 = 2

    /// The full state in binary, byte-for-byte identical for equal states, for Raft log compaction.
    /// Only tasks, queue order and counters are stored; every index is rebuilt on restore.
    public func snapshot() -> [UInt8] {
        var w = ByteWriter(capacity: 16 + records.count * 96)  // an echo task takes ~70 bytes
        w.write(Self.snapshotFormat)
        w.write(varint: records.count)
        for record in records {
            // The id is implied by the position.
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
        return w.bytes
    }

    /// Restores a state from `snapshot()`'s bytes. Rejects anything `apply` could not have produced
    /// in a way that would break the indexes or invariants: repeated keys, invalid specs,
    /// queue and states disagreeing, a completion count that is not the number of succeeded tasks.
    public init(snapshot bytes: [UInt8]) throws(DecodingError) {
        self.init()
        var r = ByteReader(bytes)
        let format = try r.readByte()
        guard format == Self.snapshotFormat || format == 1 else {
            throw .unknownTag(offset: 0, tag: format, type: "task queue snapshot format")
        }
        let count = try r.readCount()
        records.reserveCapacity(min(count, r.remaining))
        for p in 0..<count {
            let start = r.offset
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
            records.append(record)
        }

        let queueOffset = r.offset
        let queueLength = try r.readCount()
        let queuedCount = records.reduce(0) { $0 + ($1.state == .queued ? 1 : 0) }
        guard queueLength == queuedCount else {
            throw .invalid(offset: queueOffset, reason: "queue holds \(queueLength) tasks, \(queuedCount) are queued")
        }
        var order: [Int] = []
        order.reserveCapacity(queueLength)
        var seen = Set<Int>()
        for _ in 0..<queueLength {
            let offset = r.offset
            let p = try r.readInt()
            guard p < records.count, records[p].state == .queued, seen.insert(p).inserted else {
                throw .invalid(offset: offset, reason: "queue entry \(p) is repeated or not queued")
            }
            order.append(p)
        }
        staleRejections = try r.readInt()
        let acceptedOffset = r.offset
        acceptedCompletions = try r.readInt()
        try r.expectEnd()
        let succeeded = records.reduce(0) { $0 + ($1.state == .succeeded ? 1 : 0) }
        guard acceptedCompletions == succeeded else {
            throw .invalid(offset: acceptedOffset, reason: "\(acceptedCompletions) accepted completions, \(succeeded) succeeded tasks")
        }

        for p in records.indices where records[p].state != .queued { enter(p) }
        for p in order { enter(p) }
    }
}
