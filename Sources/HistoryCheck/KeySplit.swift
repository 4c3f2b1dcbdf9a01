/// How `TaskSetModel` splits a history by key, leaving out what cannot change a key's verdict.
///
/// Left out everywhere: failed operations (they had no effect) and reads with no deadline (an
/// unknown read constrains nothing). A key is certainly present once an add of it has returned
/// OK or a read has returned seeing it. Left out of one key's part:
/// - a read that missed the key but returned before any add of it was called: it cannot be there yet;
/// - a read that saw the key, or an add of it, called after the key was certainly present: the
///   read must see it, and the add changes nothing;
/// - everything, when the key is never certainly present: its adds (all unknown) can be put off
///   for ever, and then every read rightly missed it;
/// - everything, when no read is left: adds alone always linearize;
/// - a scoped read (one that saw only the keys placed from some position on) that missed the
///   key, unless the key's add learned a position in that scope.
///
/// None of these can change a key's verdict, or that of any cut of it the narrowing makes. What
/// remains of a key is its adds and the reads around its first one, so each search stays small
/// however long the history. Parts come earliest first add first, keys never added last.
struct KeySplit {
    typealias Operation = ModelOperation<TaskSetModel.Input, TaskSetModel.Output>

    private struct Read {
        var index: Int
        var call: Int64
        var ret: Int64
        var keys: [Int]
        /// The lowest position whose keys the read vouches for (nil: every key).
        var from: Int?

        /// Whether this read's missing a key placed at `position` means the key was absent:
        /// always for a read of the whole table; for a scoped one, only for a key known to be
        /// in its scope.
        func vouches(for position: Int?) -> Bool {
            guard let from else { return true }
            guard let position else { return false }
            return position >= from
        }
    }

    private var keys: [String] = []
    private var ids: [String: Int] = [:]
    private var adds: [[Operation]] = []
    /// Per key, the earliest call of an add; `.max` when it was never added.
    private var firstAddCall: [Int64] = []
    /// Per key, the earliest return of an add that returned OK; `.max` when none did.
    private var firstOkReturn: [Int64] = []
    /// Per key, where the store placed it, when an add learned it.
    private var position: [Int?] = []
    private var reads: [Read] = []

    init(_ history: [HistoryOperation]) {
        for (index, op) in history.enumerated() where op.outcome != .fail {
            switch op.kind {
            case .add(let key):
                let k = id(of: key)
                adds[k].append(Operation(index: index, call: op.call, ret: op.deadline, input: .add, output: .added))
                firstAddCall[k] = min(firstAddCall[k], op.call)
                if let ret = op.deadline { firstOkReturn[k] = min(firstOkReturn[k], ret) }
                if let p = op.position { position[k] = min(position[k] ?? p, p) }
            case .read(let seen):
                guard let ret = op.deadline else { continue }
                var seenIDs: [Int] = []
                for key in seen { seenIDs.append(id(of: key)) }
                reads.append(Read(index: index, call: op.call, ret: ret, keys: seenIDs, from: op.from))
            case .put, .get:
                continue  // a key-value store's operations: `KVRegisterModel` checks those
            }
        }
    }

    private mutating func id(of key: String) -> Int {
        if let k = ids[key] { return k }
        ids[key] = keys.count
        keys.append(key)
        adds.append([])
        firstAddCall.append(.max)
        firstOkReturn.append(.max)
        position.append(nil)
        return keys.count - 1
    }

    func partitions() -> [ModelPartition<TaskSetModel.Input, TaskSetModel.Output>] {
        var certain = firstOkReturn
        for read in reads {
            for k in read.keys { certain[k] = min(certain[k], read.ret) }
        }
        var parts = keys.indices.map { k in adds[k].filter { $0.call <= certain[k] } }
        var looked = Array(repeating: false, count: keys.count)
        var lastSeenBy = Array(repeating: -1, count: keys.count)
        let added = keys.indices.filter { firstAddCall[$0] < .max && certain[$0] < .max }
            .sorted { firstAddCall[$0] < firstAddCall[$1] }

        for (r, read) in reads.enumerated() {
            for k in read.keys {
                lastSeenBy[k] = r
                guard read.call <= certain[k] else { continue }
                parts[k].append(Operation(index: read.index, call: read.call, ret: read.ret, input: .read, output: .saw(present: true)))
                looked[k] = true
            }
            for k in added {
                guard firstAddCall[k] <= read.ret else { break }
                guard lastSeenBy[k] != r, read.vouches(for: position[k]) else { continue }
                parts[k].append(Operation(index: read.index, call: read.call, ret: read.ret, input: .read, output: .saw(present: false)))
                looked[k] = true
            }
        }
        return keys.indices.filter { looked[$0] }
            .sorted { (firstAddCall[$0], keys[$0]) < (firstAddCall[$1], keys[$1]) }
            .map { ModelPartition(label: keys[$0], operations: parts[$0]) }
    }
}

