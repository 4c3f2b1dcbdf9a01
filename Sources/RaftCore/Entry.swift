import BinaryCoding

/// A node's name in the cluster, e.g. "n1".
public typealias NodeID = String

/// What a log entry carries.
public enum EntryKind: UInt8, Sendable {
    /// Application data, handed to the state machine.
    case normal = 0
    /// A membership change (`ConfChange`), applied by Raft itself.
    case config = 1
    /// The empty entry a new leader appends to commit an entry of its own term.
    case noop = 2
}

/// One replicated log entry. `hash` chains every entry to its predecessors, so two nodes
/// agree on a whole prefix exactly when they agree on the hash of its last entry.
public struct Entry: Sendable, Equatable {
    public var index: UInt64
    public var term: UInt64
    public var kind: EntryKind
    public var data: [UInt8]
    public var hash: UInt64

    public init(index: UInt64, term: UInt64, kind: EntryKind, data: [UInt8], hash: UInt64) {
        self.index = index
        self.term = term
        self.kind = kind
        self.data = data
        self.hash = hash
    }

    /// Builds an entry whose hash chains onto `previousHash`.
    public init(index: UInt64, term: UInt64, kind: EntryKind, data: [UInt8], previousHash: UInt64) {
        self.init(index: index, term: term, kind: kind, data: data,
                  hash: Entry.chainHash(previous: previousHash, term: term, kind: kind, data: data))
    }

    /// `h(i) = H(h(i-1), term(i), data(i))`, with the entry kind folded into the data.
    public static func chainHash(previous: UInt64, term: UInt64, kind: EntryKind, data: [UInt8]) -> UInt64 {
        var h = FNV1a()
        h.combine(previous)
        h.combine(term)
        h.combine(kind.rawValue)
        h.combine(UInt64(data.count))
        h.combine(bytes: data)
        return h.value
    }

    /// The hash before the first entry of every log.
    public static let genesisHash: UInt64 = FNV1a.offsetBasis

    /// True when `hash` is the chain hash of this entry's contents after `previousHash`.
    public func chains(onto previousHash: UInt64) -> Bool {
        hash == Entry.chainHash(previous: previousHash, term: term, kind: kind, data: data)
    }
}

/// Where a proposal landed in the log; it succeeded if the entry applied at `index` has `term`.
public struct EntryID: Sendable, Hashable {
    public var index: UInt64
    public var term: UInt64
    public init(index: UInt64, term: UInt64) {
        self.index = index
        self.term = term
    }
}
