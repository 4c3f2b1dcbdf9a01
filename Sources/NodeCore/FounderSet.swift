import BinaryCoding
import RaftCore

/// The founders a node was started with (`--peers`): each founder's id and Raft address. Founders
/// compare these before one of them writes entry 1: two founders started with different lists
/// (a typo, a stale script) would disagree on who founds and on the founding membership. The
/// admin address is left out: it is where an operator reaches a node, not who the node is, and
/// the founding membership's peers dial each other at the Raft address.
public struct FounderSet: Sendable, Equatable {
    /// Each founder's Raft address, by id.
    public var raftAddresses: [NodeID: String]

    public init(raftAddresses: [NodeID: String]) {
        self.raftAddresses = raftAddresses
    }

    /// The set behind a founder check's `founders`.
    public init(_ founders: [NodeID: MemberAddress]) {
        self.init(raftAddresses: founders.mapValues(\.raft))
    }

    /// `n1=127.0.0.1:7101 n2=127.0.0.1:7102`, in id order: how logs and refusals name the set.
    public var text: String {
        raftAddresses.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
    }

    /// How `other` differs from this set, from this set's side: ids only one of them names, and
    /// ids they place at different Raft addresses (`n4 only there; n1 at A here, at B there`).
    public func differences(from other: FounderSet, here: String, there: String) -> String {
        var parts: [String] = []
        let missing = raftAddresses.keys.filter { other.raftAddresses[$0] == nil }.sorted()
        let extra = other.raftAddresses.keys.filter { raftAddresses[$0] == nil }.sorted()
        if !missing.isEmpty { parts.append("\(missing.joined(separator: ",")) only \(here)") }
        if !extra.isEmpty { parts.append("\(extra.joined(separator: ",")) only \(there)") }
        for (id, address) in raftAddresses.sorted(by: { $0.key < $1.key }) {
            if let theirs = other.raftAddresses[id], theirs != address {
                parts.append("\(id) at \(address) \(here) but at \(theirs) \(there)")
            }
        }
        return parts.joined(separator: "; ")
    }

    public func encode(into w: inout ByteWriter) {
        let sorted = raftAddresses.sorted { $0.key < $1.key }
        w.write(varint: sorted.count)
        for (id, address) in sorted {
            w.write(id)
            w.write(address)
        }
    }

    public static func decode(from r: inout ByteReader) throws(DecodingError) -> FounderSet {
        let count = try r.readCount()
        var out: [NodeID: String] = [:]
        for _ in 0..<count {
            let id = try r.readString()
            out[id] = try r.readString()
        }
        return FounderSet(raftAddresses: out)
    }
}
