import Foundation

/// The few lines of an etcd member's `/metrics` (Prometheus text) the control plane reads: who
/// the member is (`etcd_server_id`, hex), which peers it holds a connection to
/// (`etcd_network_active_peers{Local="hex",Remote="hex"} 1`, which lags a few seconds behind a
/// cut), and when its process started (for its uptime).
public struct EtcdMetrics: Sendable, Equatable {
    public var serverID: EtcdMemberID?
    /// Per remote member: whether this member has an active connection to it. Members it once
    /// knew and has since removed stay listed at 0; ask only about current members.
    public var activePeers: [EtcdMemberID: Bool]
    /// `process_start_time_seconds`: Unix time the member's process started.
    public var processStart: Double?

    public init(serverID: EtcdMemberID? = nil, activePeers: [EtcdMemberID: Bool] = [:], processStart: Double? = nil) {
        self.serverID = serverID
        self.activePeers = activePeers
        self.processStart = processStart
    }

    /// Reads the lines it knows and skips every other; never fails.
    public static func parse(_ text: Substring) -> EtcdMetrics {
        var out = EtcdMetrics()
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            if line.hasPrefix("etcd_network_active_peers{") {
                guard let remote = label("Remote", in: line).flatMap(EtcdMemberID.init(hex:)), let v = value(line) else { continue }
                out.activePeers[remote] = v > 0
            } else if line.hasPrefix("etcd_server_id{") {
                if let id = label("server_id", in: line).flatMap(EtcdMemberID.init(hex:)), value(line) == 1 { out.serverID = id }
            } else if line.hasPrefix("process_start_time_seconds ") {
                out.processStart = value(line)
            }
        }
        return out
    }

    /// The value of `name="…"` in a sample's labels.
    static func label(_ name: String, in line: Substring) -> String? {
        guard let start = line.range(of: "\(name)=\"") else { return nil }
        let rest = line[start.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        return String(rest[..<end])
    }

    /// The sample's value: the last word of the line.
    static func value(_ line: Substring) -> Double? {
        line.split(separator: " ").last.flatMap { Double($0) }
    }
}
