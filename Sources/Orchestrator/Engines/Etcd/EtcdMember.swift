import Foundation

/// One entry of etcd's member list (`POST /v3/cluster/member/list`). A member added but not yet
/// started has no name and no client URLs.
public struct EtcdMember: Decodable, Sendable, Equatable {
    public var id: EtcdMemberID
    public var name: String
    public var peerURLs: [String]
    public var clientURLs: [String]
    public var isLearner: Bool

    public init(id: EtcdMemberID, name: String, peerURLs: [String], clientURLs: [String], isLearner: Bool) {
        self.id = id
        self.name = name
        self.peerURLs = peerURLs
        self.clientURLs = clientURLs
        self.isLearner = isLearner
    }

    private enum Keys: String, CodingKey {
        case ID, name, peerURLs, clientURLs, isLearner
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        id = try c.decode(EtcdMemberID.self, forKey: .ID)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
        peerURLs = try c.decodeIfPresent([String].self, forKey: .peerURLs) ?? []
        clientURLs = try c.decodeIfPresent([String].self, forKey: .clientURLs) ?? []
        isLearner = try c.decodeIfPresent(Bool.self, forKey: .isLearner) ?? false
    }

    /// HOST:PORT of the first URL in `urls`, without the scheme.
    static func address(_ urls: [String]) -> String? {
        guard let url = urls.first else { return nil }
        guard let range = url.range(of: "://") else { return url }
        return String(url[range.upperBound...]).trimmingCharacters(in: CharacterSet(charactersIn: "/"))
    }

    public var peerAddress: String? { Self.address(peerURLs) }
    public var clientAddress: String? { Self.address(clientURLs) }
}
