import FlotillaAPI
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The operations of the control plane. The CLI, the console and the tests all call these;
/// none of them reaches a node another way. Every action emits an event with its outcome.
public final class ClusterControl: Sendable {
    public let client: ClusterClient
    public let events: EventSink
    public let intents: IntentStore

    public init(client: ClusterClient, events: EventSink = EventSink()) {
        self.client = client
        self.events = events
        self.intents = IntentStore(directory: client.launcher?.directory)
    }

    var admin: AdminClient { client.admin }

    // MARK: - Lookups

    /// A fresh snapshot.
    public func snapshot() async -> ClusterSnapshot { await client.poll() }

    /// The node with this id, or a clear error naming the members.
    func member(_ id: String, in s: ClusterSnapshot) throws -> NodeObservation {
        guard let o = s.node(id) else {
            throw OrchestratorError("unknown node \(id); the nodes are \(s.nodes.map(\.id).joined(separator: ", "))")
        }
        return o
    }

    /// The local node process spec, for operations that signal processes.
    func localNode(_ id: String) throws -> (Launcher, ClusterSpec.NodeSpec) {
        guard let launcher = client.launcher else {
            throw OrchestratorError("this needs a local cluster (--dir): nodes reached through --connect are not processes this machine started")
        }
        let spec = try launcher.load()
        guard let node = spec.node(id) else {
            throw OrchestratorError("unknown node \(id); the nodes are \(spec.nodes.map(\.id).joined(separator: ", "))")
        }
        return (launcher, node)
    }

    /// The admin address writes go to: the leader's, else any answering node's (which redirects).
    func writeAddress(_ s: ClusterSnapshot) throws -> String {
        if let l = s.leader { return l.adminAddress }
        if let any = s.live.first { return any.adminAddress }
        throw OrchestratorError("no node answers")
    }

    /// Runs `body` and records its outcome as an action event carrying `action`, so a
    /// transcript can run it again.
    @discardableResult
    func act<T>(_ what: String, node: String? = nil, _ action: OperatorAction, _ body: () async throws -> (T, String)) async throws -> T {
        do {
            // What this action does on the way (scale down's transfer) is marked as part of it, so a replay runs it once.
            let (value, outcome) = try await ActionOrigin.$current.withValue("\(action.by) via \(action.verb)") {
                try await CommandInFlight.$current.withValue(nil) { try await body() }
            }
            events.emit(.action, node: node, "\(what): \(outcome)", reason: "operator", category: action.verb, action: action)
            return value
        } catch {
            events.emit(.action, node: node, "\(what) failed: \(error)", reason: "operator", ok: false, category: action.verb, action: action)
            throw error
        }
    }

    // MARK: - Processes

    /// SIGKILL. Recovery will not restart a node the operator killed.
    public func kill(_ id: String) async throws {
        try await act("kill \(id)", node: id, OperatorAction(verb: "kill", target: id)) {
            let (launcher, node) = try localNode(id)
            guard let pid = launcher.pid(of: node) else { throw OrchestratorError("\(id) is not running") }
            intents.update { $0.stopped.insert(id); $0.paused.remove(id) }
            launcher.note(node, "\(id) killed by the operator (SIGKILL)")
            launcher.signal(node, SIGKILL)
            guard await Spawn.waitForExit(pid, within: .seconds(5)) else { throw OrchestratorError("\(id) (pid \(pid)) did not die") }
            return ((), "killed pid \(pid)")
        }
    }

    /// Stops the node if it runs (SIGTERM), then starts it again on the same data dir and waits
    /// (10 s at most) until it answers; throws the reason when it ends instead.
    public func restart(_ id: String) async throws {
        try await act("restart \(id)", node: id, OperatorAction(verb: "restart", target: id)) {
            let (launcher, node) = try localNode(id)
            let spec = try launcher.load()
            if launcher.pid(of: node) != nil, !(await launcher.stop(node)) { throw OrchestratorError("\(id) did not stop") }
            intents.update { $0.stopped.remove(id); $0.paused.remove(id) }
            let pid = try launcher.start(node, spec: spec)
            let admin = self.admin
            let started = await StartOutcome.watch(
                running: { launcher.pid(of: node) != nil },
                answer: { (try? await admin.status(node.adminAddress)).map { "answering as \($0.role) in term \($0.term)" } },
                exit: { NodeExit.read(logFile: node.logFile, node: id)?.reason })
            return ((), try started.outcome(id, pid: pid, log: node.logFile))
        }
    }

    /// Starts a stopped node without stopping it first (recovery's restart).
    func start(_ id: String) throws -> pid_t {
        let (launcher, node) = try localNode(id)
        return try launcher.start(node, spec: try launcher.load())
    }

    /// SIGSTOP: the process freezes, its sockets stay open.
    public func pause(_ id: String) async throws {
        try await act("pause \(id)", node: id, OperatorAction(verb: "pause", target: id)) {
            let (launcher, node) = try localNode(id)
            guard launcher.signal(node, SIGSTOP) else { throw OrchestratorError("\(id) is not running") }
            intents.update { $0.paused.insert(id) }
            return ((), "paused (SIGSTOP)")
        }
    }

    /// SIGCONT.
    public func resume(_ id: String) async throws {
        try await act("resume \(id)", node: id, OperatorAction(verb: "resume", target: id)) {
            let (launcher, node) = try localNode(id)
            guard launcher.signal(node, SIGCONT) else { throw OrchestratorError("\(id) is not running") }
            intents.update { $0.paused.remove(id) }
            return ((), "resumed (SIGCONT)")
        }
    }

    // MARK: - Network

    /// Builds the plan for `spec` (`n1,n2|n3`, `n1->n2`, leader, minority, majorities-ring, bridge) against the current cluster.
    public func plan(_ spec: String) async throws -> PartitionPlan {
        let s = await snapshot()
        return try PartitionPlan.parse(spec, members: s.nodes.map(\.id), leader: s.leader?.id)
    }

    /// Applies a plan: every node gets its rules, and every node the plan leaves out is healed.
    /// `action` is what the operator asked for (`partition minority`, `isolate leader`).
    @discardableResult
    public func partition(_ plan: PartitionPlan, as action: OperatorAction? = nil) async throws -> PartitionPlan {
        let s = await snapshot()
        return try await act("partition \(plan.description)", action ?? OperatorAction(verb: "partition", target: plan.description)) {
            if let kernel = kernelFaults {
                try await kernel.apply(plan)
                return (plan, "nftables rules set in table \(kernel.table)")
            }
            var failed: [String] = []
            var set: [String] = []
            var why: Set<String> = []
            // A node that is down starts clean when it returns; the others drop its traffic anyway.
            let down = s.nodes.filter { !$0.up }.map(\.id)
            for o in s.nodes where o.up {
                let planned = plan.rules[o.id] ?? FaultSpec()
                do {
                    // Link faults (delay, loss…) stay: a partition only replaces the drops.
                    var rules: FaultSpec = try await admin.call("GET", o.adminAddress, "/v1/faults", timeout: .seconds(2))
                    rules.drop = planned.drop
                    rules.direction = planned.direction
                    let _: FaultSpec = try await admin.call("PUT", o.adminAddress, "/v1/faults", body: rules, timeout: .seconds(2))
                    set.append(o.id)
                } catch {
                    failed.append(o.id)
                    why.insert((error as? APIError)?.code == APIErrorCode.unauthorized ? "unauthorized: set FLOTILLA_TOKEN" : "\(error)")
                }
            }
            if !failed.isEmpty {
                throw OrchestratorError("could not set the rules on \(failed.joined(separator: ", ")) (\(why.sorted().joined(separator: "; ")))"
                                        + (set.isEmpty ? "" : "; set on \(set.joined(separator: ", "))"))
            }
            return (plan, "rules set on \(set.joined(separator: ", "))" + (down.isEmpty ? "" : "; skipped \(down.joined(separator: ", ")) (down)"))
        }
    }

    public func partition(_ spec: String) async throws -> PartitionPlan {
        let action = OperatorAction(verb: "partition", target: spec)
        do {
            return try await partition(try await plan(spec), as: action)
        } catch let e as OrchestratorError {
            events.emit(.action, "partition \(spec) failed: \(e)", reason: "operator", ok: false, category: "partition", action: action)
            throw e
        }
    }

    /// Cuts one node (or the leader) off from every other.
    public func isolate(_ id: String) async throws -> PartitionPlan {
        let s = await snapshot()
        let action = OperatorAction(verb: "isolate", target: id)
        do {
            if id != "leader" { _ = try member(id, in: s) }
            return try await partition(try PartitionPlan.parse(id, members: s.nodes.map(\.id), leader: s.leader?.id), as: action)
        } catch let e as OrchestratorError {
            events.emit(.action, "isolate \(id) failed: \(e)", reason: "operator", ok: false, category: "isolate", action: action)
            throw e
        }
    }

    /// Clears every node's rules, then verifies: each node's rules read back clean and the
    /// leader hears from every peer. Incomplete until both hold (or `timeout` passes).
    public func heal(timeout: Duration = .seconds(5)) async -> HealReport {
        let action = OperatorAction(verb: "heal")
        let s = await snapshot()
        var report = HealReport()
        for o in s.nodes {
            // A stopped process holds no rules: the node starts clean when it comes back.
            if o.process == .stopped {
                report.down.insert(o.id)
                continue
            }
            do {
                let _: FaultSpec = try await admin.call("DELETE", o.adminAddress, "/v1/faults", timeout: .seconds(2))
            } catch let e as APIError where e.code == APIErrorCode.unauthorized {
                report.unauthorized.insert(o.id)
            } catch {
                report.unreachable.insert(o.id)
            }
        }
        let kernelHeal = KernelHeal(faults: kernelFaults, delays: packetDelays)
        await kernelHeal.start()  // verified below, with the nodes' rules
        let deadline = ContinuousClock.now + timeout
        while true {
            report.unconfirmedLinks = []
            report.dirty = await kernelHeal.leftovers()
            let now = await snapshot()
            for o in now.nodes where !report.unreachable.contains(o.id) && !report.unauthorized.contains(o.id) && !report.down.contains(o.id) {
                let rules: FaultSpec? = try? await admin.call("GET", o.adminAddress, "/v1/faults", timeout: .seconds(1))
                if rules?.isClean != true { report.dirty.insert(o.id) }
            }
            if let leader = now.leader {
                for p in leader.peers where p.status != "healthy" && !report.unreachable.contains(p.id) && !report.down.contains(p.id) {
                    report.unconfirmedLinks.insert("\(leader.id)-\(p.id)")
                }
            } else {
                report.unconfirmedLinks.insert("no leader yet")
            }
            if report.complete || ContinuousClock.now >= deadline { break }
            try? await Task.sleep(for: .milliseconds(100))
        }
        events.emit(.action, "heal: \(report.summary)", reason: "operator", ok: report.complete, category: "heal", action: action)
        return report
    }

    // MARK: - Leadership

    /// Hands leadership to `to`, or to the most caught-up voter; waits until a new leader is seen.
    @discardableResult
    public func transfer(to: String? = nil, timeout: Duration = .seconds(10)) async throws -> String {
        let s = await snapshot()
        return try await act("transfer leadership" + (to.map { " to \($0)" } ?? ""), OperatorAction(verb: "transfer", target: to)) {
            if let to {
                let o = try member(to, in: s)
                guard s.voters.contains(o.id) else { throw OrchestratorError("\(to) is not a voter; only voters can lead") }
            }
            guard let old = s.leader else { throw OrchestratorError("there is no leader to transfer from") }
            if to == old.id { throw OrchestratorError("\(old.id) already leads") }
            let answer: OperationResult = try await admin.call("POST", old.adminAddress, "/v1/leader", body: TransferRequest(to: to))
            let (after, ok) = await client.wait(for: timeout) { s in
                guard let l = s.leader else { return false }
                return to.map { l.id == $0 } ?? (l.id != old.id)
            }
            guard ok, let l = after.leader else { throw OrchestratorError("\(answer.message), but no new leader within \(timeout)") }
            return (l.id, "from \(old.id); \(l.id) leads in term \(l.term)")
        }
    }

    // MARK: - Tasks

    public func submit(_ submission: TaskSubmission, count: Int = 1) async throws -> [SubmitResult] {
        let s = await snapshot()
        var args = submission.args ?? [:]
        args["kind"] = submission.kind
        if count > 1 { args["count"] = "\(count)" }
        if let target = submission.target { args["target"] = target }
        return try await act("submit \(count) \(submission.kind) task\(count == 1 ? "" : "s")", OperatorAction(verb: "submit", args: args)) {
            guard count >= 1 else { throw OrchestratorError("--count must be at least 1") }
            if let target = submission.target { _ = try member(target, in: s) }
            let address = try writeAddress(s)
            var results: [SubmitResult] = []
            for i in 0..<count {
                var one = submission
                if count > 1, let key = submission.key { one.key = "\(key)-\(i)" }
                results.append(try await admin.call("POST", address, "/v1/tasks", body: one))
            }
            return (results, results.map(\.id).joined(separator: ", "))
        }
    }

    /// The newest `limit` tasks as the leader (else any node) knows them, read a page at a time;
    /// `in` saves a poll when the caller has a fresh snapshot.
    public func tasks(state: TaskState? = nil, node: String? = nil, limit: Int = 100, in snapshot: ClusterSnapshot? = nil) async throws -> TaskList {
        let s: ClusterSnapshot
        if let snapshot { s = snapshot } else { s = await self.snapshot() }
        let address = try writeAddress(s)
        var out = TaskList(tasks: [], total: 0)
        var after: String?
        repeat {
            let page = try await tasksPage(at: address, state: state, node: node, limit: min(limit - out.tasks.count, Self.pageLimit),
                                           after: after, ascending: false)
            out.tasks += page.tasks
            out.total = page.total
            out.removed = page.removed
            out.next = page.next
            after = page.next
        } while after != nil && out.tasks.count < limit
        return out
    }

    /// The most tasks a node answers in one page.
    public static let pageLimit = 1_000

    /// One page of `GET /v1/tasks` from `address`.
    public func tasksPage(at address: String, state: TaskState? = nil, node: String? = nil, limit: Int = pageLimit,
                          after: String?, ascending: Bool, linearizable: Bool = false, timeout: Duration = .seconds(10)) async throws -> TaskList {
        var query = ["limit=\(limit)", "order=\(ascending ? "asc" : "desc")"]
        if let state { query.append("state=\(state.rawValue)") }
        if let node { query.append("node=\(node)") }
        if let after { query.append("after=\(after)") }
        if linearizable { query.append("consistency=linearizable") }
        return try await admin.call("GET", address, "/v1/tasks?" + query.joined(separator: "&"), timeout: timeout)
    }

    /// The whole task table, walked page by page in id order from the leader (else any node).
    /// Tasks added meanwhile may be included; tasks removed meanwhile may be missing.
    public func allTasks(in snapshot: ClusterSnapshot? = nil) async throws -> [TaskView] {
        let s: ClusterSnapshot
        if let snapshot { s = snapshot } else { s = await self.snapshot() }
        let address = try writeAddress(s)
        var out: [TaskView] = []
        var after: String?
        repeat {
            let page = try await tasksPage(at: address, after: after, ascending: true)
            out += page.tasks
            after = page.next
        } while after != nil
        return out
    }

    /// The keys of removed tasks the leader (else any node) still remembers, key -> task id,
    /// walked page by page, and how many tasks retention removed so far.
    public func removedKeys(in snapshot: ClusterSnapshot? = nil) async throws -> (keys: [String: String], removed: Int) {
        let s: ClusterSnapshot
        if let snapshot { s = snapshot } else { s = await self.snapshot() }
        let address = try writeAddress(s)
        var out: [String: String] = [:]
        var after: Int?
        var removed = 0
        repeat {
            let page: RemovedKeyList = try await admin.call("GET", address, "/v1/keys?limit=\(Self.pageLimit)" + (after.map { "&after=\($0)" } ?? ""))
            for k in page.keys { out[k.key] = k.id }
            removed = page.removed
            after = page.next
        } while after != nil
        return (out, removed)
    }

    public func cancel(_ id: String) async throws {
        let s = await snapshot()
        try await act("cancel \(id)", OperatorAction(verb: "cancel", target: id)) {
            let r: OperationResult = try await admin.call("POST", try writeAddress(s), "/v1/tasks/\(id)/cancel")
            return ((), r.message)
        }
    }
}

/// The outcome of a verified heal.
public struct HealReport: Sendable, Equatable, Codable {
    /// Nodes whose rules could not be cleared (not answering).
    public var unreachable: Set<String> = []
    /// Nodes that answer but refused the token: they are up, the operator's token is missing or wrong.
    public var unauthorized: Set<String> = []
    /// Nodes whose rules did not read back clean.
    public var dirty: Set<String> = []
    /// Leader-to-peer links not yet carrying traffic.
    public var unconfirmedLinks: Set<String> = []
    /// Nodes whose process is stopped: they hold no rules and start clean.
    public var down: Set<String> = []

    public init() {}

    public var complete: Bool { unreachable.isEmpty && unauthorized.isEmpty && dirty.isEmpty && unconfirmedLinks.isEmpty }

    public var summary: String {
        let stopped = down.isEmpty ? "" : " (\(down.sorted().joined(separator: ", ")) stopped: \(down.count == 1 ? "it starts" : "they start") with no rules)"
        if complete { return "complete: every node's rules read back clean and every link carries traffic" + stopped }
        var parts: [String] = []
        if !unauthorized.isEmpty { parts.append("unauthorized: set FLOTILLA_TOKEN (refused by \(unauthorized.sorted().joined(separator: ", ")))") }
        if !unreachable.isEmpty { parts.append("not answering: \(unreachable.sorted().joined(separator: ", "))") }
        if !dirty.isEmpty { parts.append("rules not clean: \(dirty.sorted().joined(separator: ", "))") }
        if !unconfirmedLinks.isEmpty { parts.append("links not confirmed: \(unconfirmedLinks.sorted().joined(separator: ", "))") }
        return "INCOMPLETE: " + parts.joined(separator: "; ") + stopped
    }
}
