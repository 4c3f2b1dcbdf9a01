import FlotillaAPI
import Foundation

/// A steady rate of writes, and (with `readEvery`) linearizable reads of what was written
/// between them, through a `LoadClient`: task submits and task-table reads on Flotilla's nodes,
/// puts and range reads on etcd. Each is one operation of the history (when it was called,
/// when it returned, its outcome, what a read saw) that the invariant monitor, the
/// linearizability checker and transcripts read. A submit whose outcome is unknown is retried
/// with the same key.
public actor LoadGenerator {
    public struct Operation: Sendable, Codable, Equatable {
        public enum Outcome: String, Sendable, Codable {
            /// Committed: the cluster acknowledged it.
            case ok
            /// Refused before it could commit (no leader, bad request).
            case fail
            /// Timed out or lost: it may or may not have committed.
            case unknown
        }
        public var key: String
        public var invokedAt: Date
        public var returnedAt: Date
        public var outcome: Outcome
        public var taskID: String?
        public var error: String?
        /// A read's answer: the keys of this load it saw in the task table (nil: a submit).
        public var seen: [String]?
        /// A read that saw part of the table: the lowest position it saw every key from.
        public var from: Int?
        /// A write's place in the store's order, when its answer said (see `LoadWrite`).
        public var position: Int?

        public var isRead: Bool { seen != nil || key.hasPrefix("read-") }

        public init(key: String, invokedAt: Date, returnedAt: Date, outcome: Outcome, taskID: String? = nil, error: String? = nil,
                    seen: [String]? = nil, from: Int? = nil, position: Int? = nil) {
            self.seen = seen
            self.from = from
            self.position = position
            self.key = key
            self.invokedAt = invokedAt
            self.returnedAt = returnedAt
            self.outcome = outcome
            self.taskID = taskID
            self.error = error
        }
    }

    let client: any LoadClient
    public let rate: Double
    let submission: TaskSubmission
    let session: String
    let maxInFlight: Int
    /// Attempts per submit (all with the same key) and the pause between them.
    let maxAttempts: Int
    let retryDelay: Duration
    /// Every `readEvery`th operation is a linearizable read of the task table (0: none).
    let readEvery: Int
    /// The most keys one read asks for (one page); past it, the read sees the newest keys only.
    let readLimit: Int
    private(set) public var history: [Operation] = []
    private var runner: Task<Void, Never>?
    private var counter = 0
    /// Operations started so far, writes and reads apart (in flight included).
    private var sentWrites = 0, sentReads = 0
    /// When the load started (rates in its lines are over the time since).
    private var startedAt: Date?, endedAt: Date?
    /// Called with every finished operation (a transcript writer subscribes here).
    private var observer: (@Sendable (Operation) -> Void)?

    public init(client: any LoadClient, rate: Double, submission: TaskSubmission = TaskSubmission(kind: "echo", args: ["text": "load"]),
                maxInFlight: Int = 64, maxAttempts: Int = 3, retryDelay: Duration = .milliseconds(200), readEvery: Int = 0,
                readLimit: Int = ClusterControl.pageLimit) {
        self.readEvery = max(0, readEvery)
        self.readLimit = max(1, readLimit)
        self.client = client
        self.rate = rate
        self.submission = submission
        self.maxInFlight = maxInFlight
        self.maxAttempts = max(1, maxAttempts)
        self.retryDelay = retryDelay
        self.session = String(UUID().uuidString.prefix(8)).lowercased()
    }

    /// A load of task submits on Flotilla's nodes.
    public init(control: ClusterControl, rate: Double, submission: TaskSubmission = TaskSubmission(kind: "echo", args: ["text": "load"]),
                maxInFlight: Int = 64, maxAttempts: Int = 3, retryDelay: Duration = .milliseconds(200), readEvery: Int = 0) {
        self.init(client: FlotillaLoadClient(control: control), rate: rate, submission: submission, maxInFlight: maxInFlight,
                  maxAttempts: maxAttempts, retryDelay: retryDelay, readEvery: readEvery)
    }

    public func onOperation(_ f: @escaping @Sendable (Operation) -> Void) { observer = f }

    public var running: Bool { runner != nil }
    /// Still submitting: started, and neither stopped nor past its duration.
    public private(set) var active = false

    private func ended() {
        active = false
        endedAt = endedAt ?? Date()
    }

    /// Starts submitting; stops by itself after `duration` when one is given.
    public func start(duration: Duration? = nil) {
        guard runner == nil, rate > 0 else { return }
        var args = submission.args ?? [:]
        args["kind"] = submission.kind
        args["rate"] = "\(rate)"
        if readEvery > 0 { args["readEvery"] = "\(readEvery)" }
        if let duration { args["duration"] = "\(duration.components.seconds)s" }
        client.events.emit(.load, "load on: \(plan(duration).rateText(writing: client.writeNoun))" + (duration.map { " for \($0)" } ?? ""), reason: "operator",
                            category: "load", action: OperatorAction(verb: "load", target: "on", args: args, command: .load(plan: plan(duration))))
        let interval = Duration.seconds(1 / rate)
        active = true
        startedAt = Date()
        runner = Task {
            let clock = ContinuousClock()
            let end = duration.map { clock.now + $0 }
            var next = clock.now
            await withTaskGroup(of: Void.self) { group in
                var inFlight = 0
                while !Task.isCancelled, end.map({ clock.now < $0 }) ?? true {
                    if inFlight >= maxInFlight {
                        await group.next()
                        inFlight -= 1
                        continue
                    }
                    let key = nextKey()
                    inFlight += 1
                    if key.hasPrefix("read-") {
                        group.addTask { await self.readOne(key) }
                    } else {
                        group.addTask { await self.submitOne(key) }
                    }
                    next += interval
                    if next > clock.now { try? await Task.sleep(until: next) } else { next = clock.now }
                }
                await group.waitForAll()
            }
            await self.ended()
        }
    }

    /// The plan this load runs, as `load on` records it.
    func plan(_ duration: Duration?) -> LoadPlan {
        LoadPlan(rate: rate, kind: submission.kind, args: KeyValueList(submission.args ?? [:]), readEvery: readEvery,
                 duration: duration.map { TimeSpan(milliseconds: $0.milliseconds) })
    }

    /// Stops submitting and waits for the submits in flight to finish.
    public func stop() async {
        guard let runner else { return }
        runner.cancel()
        await runner.value
        self.runner = nil
        ended()
        let s = summary
        client.events.emit(.load, "load off: \(s.outcomeText)", reason: "operator",
                            category: "load", action: OperatorAction(verb: "load", target: "off", command: .load(plan: nil)))
    }

    /// Waits until a load with a duration ends by itself.
    public func finish() async {
        await runner?.value
        await stop()
    }

    private func nextKey() -> String {
        counter += 1
        if readEvery > 0, counter % readEvery == 0 {
            sentReads += 1
            return "read-\(session)-\(counter)"
        }
        sentWrites += 1
        return "load-\(session)-\(counter)"
    }

    /// One linearizable read of the keys this load wrote. Its outcome is `.ok` with what it saw;
    /// `.fail` (no effect, nothing learned) when it was refused or timed out; `.unknown` when the
    /// answer was partial in a way it cannot bound (absent keys may only be out of view). A read
    /// of part of the table that says which part (`from`) is `.ok`, scoped to that part.
    func readOne(_ key: String) async {
        let invoked = Date()
        var outcome = Operation.Outcome.fail
        var seen: [String]?
        var from: Int?
        var error: String?
        do {
            let read = try await client.read(prefix: "load-\(session)-", limit: readLimit)
            seen = read.keys
            from = read.from
            outcome = read.complete ? .ok : .unknown
        } catch let e {
            error = Self.describe(e)
        }
        record(Operation(key: key, invokedAt: invoked, returnedAt: Date(), outcome: outcome, error: error,
                         seen: outcome == .ok ? seen : nil, from: outcome == .ok ? from : nil))
    }

    func submitOne(_ key: String) async {
        let invoked = Date()
        var acknowledged = false
        var errors: [any Error] = []
        var written: LoadWrite?
        for attempt in 0..<maxAttempts {
            do {
                written = try await client.write(key, submission, fresh: attempt > 0)
                acknowledged = true
                break
            } catch {
                errors.append(error)
                // A request the cluster can never accept is not retried.
                if client.isFinal(error) { break }
                try? await Task.sleep(for: retryDelay)
            }
        }
        let outcome = client.outcome(acknowledged: acknowledged, errors: errors)
        let lastError = errors.last.map(Self.describe)
        record(Operation(key: key, invokedAt: invoked, returnedAt: Date(), outcome: outcome, taskID: written?.id,
                         error: outcome == .ok ? nil : lastError, position: written?.position))
    }

    /// An error as the history records it: the node's own words when it gave them.
    static func describe(_ error: any Error) -> String { (error as? APIError)?.error ?? "\(error)" }

    /// Whether a failed attempt was refused before anything was proposed, so it cannot have committed.
    public static func refusedBeforeProposing(_ error: any Error) -> Bool {
        guard let e = error as? APIError else { return false }
        return [APIErrorCode.noLeader, APIErrorCode.badRequest, APIErrorCode.unauthorized, APIErrorCode.tooLarge].contains(e.code)
    }

    /// A submit's outcome from its attempts: `.ok` once acknowledged; `.fail` only when every
    /// attempt was refused before proposing; `.unknown` when any attempt may have committed.
    public static func outcome(acknowledged: Bool, errors: [any Error]) -> Operation.Outcome {
        if acknowledged { return .ok }
        return !errors.isEmpty && errors.allSatisfy(refusedBeforeProposing) ? .fail : .unknown
    }

    private func record(_ op: Operation) {
        history.append(op)
        observer?(op)
    }

    /// What the load did, writes (submits) and reads apart: how many it sent, and how each
    /// finished. `ok`, `failed` and `unknown` count the writes.
    public struct Summary: Sendable, Equatable {
        public var ok = 0, failed = 0, unknown = 0
        /// Operations started, in flight included.
        public var sentWrites = 0, sentReads = 0
        /// Reads answered, refused or timed out, and answered with a partial view.
        public var readsOK = 0, readsFailed = 0, readsUnknown = 0
        /// Seconds since the load started (0: not started).
        public var seconds = 0.0

        public init() {}

        /// Counts the finished operations of `history`; `sentWrites` and `sentReads` count the started ones.
        public init(history: [Operation], sentWrites: Int, sentReads: Int, seconds: Double) {
            self.sentWrites = sentWrites
            self.sentReads = sentReads
            self.seconds = seconds
            for op in history {
                switch (op.isRead, op.outcome) {
                case (false, .ok): ok += 1
                case (false, .fail): failed += 1
                case (false, .unknown): unknown += 1
                case (true, .ok): readsOK += 1
                case (true, .fail): readsFailed += 1
                case (true, .unknown): readsUnknown += 1
                }
            }
        }

        /// `writes 148 acked, 1 refused, 1 unknown; reads 49 ok, 1 failed, 0 partial`.
        public var outcomeText: String {
            "writes \(ok) acked, \(failed) refused, \(unknown) unknown; reads \(readsOK) ok, \(readsFailed) failed, \(readsUnknown) partial"
        }

        /// One line per kind of operation, what was sent at what rate and how it finished:
        /// `writes  150 sent (15.0/s): 148 acked, 1 refused, 1 unknown`.
        public var lines: [String] {
            func rate(_ n: Int) -> String { seconds > 0 ? String(format: "%.1f/s", Double(n) / seconds) : "-/s" }
            return ["writes \(sentWrites) sent (\(rate(sentWrites))): \(ok) acked, \(failed) refused, \(unknown) unknown",
                    "reads  \(sentReads) sent (\(rate(sentReads))): \(readsOK) ok, \(readsFailed) failed, \(readsUnknown) partial"]
        }

        /// The progress line `load` prints while it runs: `load 5s: writes 75 sent (15.0/s), 74 acked, 0 failed · reads …`.
        public var progressLine: String {
            func rate(_ n: Int) -> String { seconds > 0 ? String(format: "%.1f/s", Double(n) / seconds) : "-/s" }
            return String(format: "load %.0fs: ", seconds)
                + "writes \(sentWrites) sent (\(rate(sentWrites))), \(ok) acked, \(failed + unknown) failed · "
                + "reads \(sentReads) sent (\(rate(sentReads))), \(readsOK) ok, \(readsFailed + readsUnknown) failed"
        }
    }

    public var summary: Summary {
        Summary(history: history, sentWrites: sentWrites, sentReads: sentReads, seconds: startedAt.map { (endedAt ?? Date()).timeIntervalSince($0) } ?? 0)
    }

    /// Acknowledged submits: key -> task id.
    public var acknowledged: [String: String] {
        Dictionary(history.filter { !$0.isRead }.compactMap { op in op.taskID.map { (op.key, $0) } }, uniquingKeysWith: { a, _ in a })
    }
}
