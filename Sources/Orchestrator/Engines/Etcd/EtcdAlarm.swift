/// One alarm an etcd cluster holds (`POST /v3/maintenance/alarm`): `NOSPACE` when a member's
/// backend went over its quota (writes are refused until it is disarmed), `CORRUPT` when a
/// member's data disagrees with the others'.
public struct EtcdAlarm: Codable, Sendable, Equatable {
    public var memberID: EtcdMemberID
    /// `NOSPACE` or `CORRUPT`.
    public var alarm: String

    public init(memberID: EtcdMemberID, alarm: String) {
        self.memberID = memberID
        self.alarm = alarm
    }
}
