import Foundation

/// The maintenance API's alarms: read them, and disarm one so writes resume.
extension EtcdClient {
    private struct AlarmRequest: Encodable {
        /// `GET` or `DEACTIVATE`.
        var action: String
        var memberID: String?
        var alarm: String?
    }

    private struct AlarmReply: Decodable {
        var alarms: [EtcdAlarm]?
    }

    /// Every alarm the cluster holds (none: an empty list; etcd then leaves the field out).
    public func alarms(_ address: String) async throws -> [EtcdAlarm] {
        let reply: AlarmReply = try await call(address, "/v3/maintenance/alarm", AlarmRequest(action: "GET"), timeout: .seconds(2))
        return reply.alarms ?? []
    }

    /// Deactivates `alarm`; etcd then takes writes again.
    public func disarm(_ address: String, _ alarm: EtcdAlarm) async throws {
        let _: AlarmReply = try await call(address, "/v3/maintenance/alarm",
                                           AlarmRequest(action: "DEACTIVATE", memberID: alarm.memberID.decimal, alarm: alarm.alarm),
                                           timeout: .seconds(2))
    }
}
