import FlotillaAPI
import Prometheus

/// The node's Prometheus metrics, served at `GET /metrics`.
final class NodeMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let term: Gauge
    let isLeader: Gauge
    let commit: Gauge
    let applied: Gauge
    let lastIndex: Gauge
    let proposals: Counter
    let proposalsFailed: Counter
    let fsync: DurationHistogram
    let invariantViolations: Counter
    let tasks: [String: Gauge]
    /// Admin connections the node closed on a limit, by reason (header-timeout, write-stall,
    /// framing, crowded: the oldest without a request head, closed to make room).
    let adminClosed: [String: Counter]
    /// Event streams open now, and those ended because their client fell behind or stopped reading.
    let eventStreams: Gauge
    let eventStreamsDropped: Counter

    init() {
        term = registry.makeGauge(descriptor: Self.name("term", help: "Current Raft term"))
        isLeader = registry.makeGauge(descriptor: Self.name("is_leader", help: "1 when this node is the leader"))
        commit = registry.makeGauge(descriptor: Self.name("commit_index", help: "Commit index"))
        applied = registry.makeGauge(descriptor: Self.name("applied_index", help: "Applied index"))
        lastIndex = registry.makeGauge(descriptor: Self.name("last_index", help: "Last log index"))
        proposals = registry.makeCounter(descriptor: Self.name("proposals", unit: "total", help: "Proposals accepted by this node as leader"))
        proposalsFailed = registry.makeCounter(descriptor: Self.name("proposals_failed", unit: "total", help: "Proposals refused or lost"))
        fsync = registry.makeDurationHistogram(
            descriptor: Self.name("fsync", unit: "seconds", help: "Time to persist and fsync one batch"),
            buckets: [.microseconds(100), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
                      .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(500)])
        invariantViolations = registry.makeCounter(
            descriptor: Self.name("invariant_violations", unit: "total", help: "Runtime invariant violations detected"))
        var tasks: [String: Gauge] = [:]
        for state in TaskState.known.map(\.rawValue) {
            tasks[state] = registry.makeGauge(descriptor: Self.name("tasks", help: "Tasks by state"), labels: [("state", state)])
        }
        self.tasks = tasks
        var closed: [String: Counter] = [:]
        for reason in ["header-timeout", "write-stall", "framing", "crowded"] {
            closed[reason] = registry.makeCounter(
                descriptor: Self.name("admin_connections_closed", unit: "total", help: "Admin connections closed on a limit"),
                labels: [("reason", reason)])
        }
        adminClosed = closed
        eventStreams = registry.makeGauge(descriptor: Self.name("event_streams", help: "Open GET /v1/events streams"))
        eventStreamsDropped = registry.makeCounter(
            descriptor: Self.name("event_streams_dropped", unit: "total", help: "Event streams ended because the client fell behind"))
    }

    /// `flotilla_<metric>[_<unit>]`.
    static func name(_ metric: String, unit: String = "", help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "flotilla", metricName: metric, unitName: unit, helpText: help)
    }

    func text() -> String { registry.emitToString() }
}
