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

    init() {
        term = registry.makeGauge(name: "flotilla_term", help: "Current Raft term")
        isLeader = registry.makeGauge(name: "flotilla_is_leader", help: "1 when this node is the leader")
        commit = registry.makeGauge(name: "flotilla_commit_index", help: "Commit index")
        applied = registry.makeGauge(name: "flotilla_applied_index", help: "Applied index")
        lastIndex = registry.makeGauge(name: "flotilla_last_index", help: "Last log index")
        proposals = registry.makeCounter(name: "flotilla_proposals_total", help: "Proposals accepted by this node as leader")
        proposalsFailed = registry.makeCounter(name: "flotilla_proposals_failed_total", help: "Proposals refused or lost")
        fsync = registry.makeDurationHistogram(
            name: "flotilla_fsync_seconds",
            buckets: [.microseconds(100), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
                      .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(500)],
            help: "Time to persist and fsync one batch")
        invariantViolations = registry.makeCounter(name: "flotilla_invariant_violations_total", help: "Runtime invariant violations detected")
        var tasks: [String: Gauge] = [:]
        for state in ["queued", "assigned", "running", "succeeded", "failed", "cancelled", "timed-out"] {
            tasks[state] = registry.makeGauge(name: "flotilla_tasks", labels: [("state", state)], help: "Tasks by state")
        }
        self.tasks = tasks
    }

    func text() -> String { registry.emitToString() }
}
