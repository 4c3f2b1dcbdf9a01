/// What one etcd member says of itself (`POST /v3/maintenance/status`). The JSON gateway writes
/// 64-bit numbers as decimal strings and leaves out every field that is false, zero or empty, so
/// a missing field reads as false, 0 or empty here.
///
/// `raftIndex` is the member's commit index, `raftAppliedIndex` what it applied. A member cut
/// off from the others keeps reporting the term it had while it campaigns: with `--pre-vote` its
/// pre-votes do not raise the term until a majority would grant it.
public struct EtcdMemberStatus: Decodable, Sendable, Equatable {
    public var clusterID: String
    public var memberID: EtcdMemberID?
    /// Who it takes to be the leader; nil when it knows of none.
    public var leader: EtcdMemberID?
    public var raftTerm: UInt64
    public var raftIndex: UInt64
    public var raftAppliedIndex: UInt64
    public var dbSize: UInt64
    public var isLearner: Bool
    /// What is wrong, in etcd's words: raised alarms (`NOSPACE`), "etcdserver: no leader".
    public var errors: [String]
    public var version: String

    public init(clusterID: String = "", memberID: EtcdMemberID?, leader: EtcdMemberID?, raftTerm: UInt64, raftIndex: UInt64,
                raftAppliedIndex: UInt64, dbSize: UInt64 = 0, isLearner: Bool = false, errors: [String] = [], version: String = "") {
        self.clusterID = clusterID
        self.memberID = memberID
        self.leader = leader
        self.raftTerm = raftTerm
        self.raftIndex = raftIndex
        self.raftAppliedIndex = raftAppliedIndex
        self.dbSize = dbSize
        self.isLearner = isLearner
        self.errors = errors
        self.version = version
    }

    private enum Keys: String, CodingKey {
        case header, leader, raftTerm, raftIndex, raftAppliedIndex, dbSize, isLearner, errors, version
    }

    private enum HeaderKeys: String, CodingKey {
        case cluster_id, member_id
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        func number(_ key: Keys) throws -> UInt64 {
            guard let text = try c.decodeIfPresent(String.self, forKey: key) else { return 0 }
            guard let n = UInt64(text) else {
                throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "not a number: \(text.prefix(40))")
            }
            return n
        }
        let header = try? c.nestedContainer(keyedBy: HeaderKeys.self, forKey: .header)
        clusterID = (try header?.decodeIfPresent(String.self, forKey: .cluster_id)) ?? ""
        memberID = (try header?.decodeIfPresent(String.self, forKey: .member_id)).flatMap { EtcdMemberID(decimal: $0) }
        leader = try c.decodeIfPresent(String.self, forKey: .leader).flatMap { EtcdMemberID(decimal: $0) }
        raftTerm = try number(.raftTerm)
        raftIndex = try number(.raftIndex)
        raftAppliedIndex = try number(.raftAppliedIndex)
        dbSize = try number(.dbSize)
        isLearner = try c.decodeIfPresent(Bool.self, forKey: .isLearner) ?? false
        errors = try c.decodeIfPresent([String].self, forKey: .errors) ?? []
        version = try c.decodeIfPresent(String.self, forKey: .version) ?? ""
    }

    /// Whether it leads.
    public var leads: Bool { memberID != nil && leader == memberID }

    /// A raised NOSPACE alarm (the backend is over its quota: writes are refused), if any.
    public var spaceAlarm: String? { errors.first { $0.contains("NOSPACE") } }
}
