import FlotillaAPI
import Foundation
import Orchestrator
import Synchronization

/// The console's loop. A UI thread owns the terminal: it reads keys, updates the model and
/// presents frames. It reads the rounds of a `ClusterSession` (which observes, records, monitors
/// and recovers) at the console's refresh rate; operator commands run as tasks through the
/// session's `CommandPerformer` and report through the engine's events. On an engine other than
/// Flotilla's node (etcd) there is no task list, recovery or log-hash monitor: the cluster, its
/// events, the load (puts and range reads) and the verbs the engine takes.
public final class ConsoleApp: Sendable {
    public struct Options: Sendable {
        public var refresh: Duration = .milliseconds(200)
        public var readonly = false
        public var confirm = true
        public var recovery: RecoveryMode = .advise
        public var color = true
        public var theme = Theme.fallback
        /// Writes the session's transcript (`--record`).
        public var recorder: TranscriptRecorder?
        /// Writes the screen as asciicast v2 (`--record-cast`).
        public var castPath: String?
        /// Where the prompts' lines are kept across runs (`PromptHistory`); nil keeps them for this run only.
        public var historyFile: String? = PromptHistory.defaultPath(environment: ProcessInfo.processInfo.environment)
        public init() {}
    }

    let session: ClusterSession
    let engine: any Engine
    /// Flotilla's control plane when the engine is its node (tasks, recovery, the monitor).
    let control: ClusterControl?
    let events: EventSink
    let options: Options
    let keys = KeyMap()
    let recovery: Recovery?
    /// Carries out the operator commands the keys and the `:` line give; holds the load.
    let performer: CommandPerformer
    /// Shared between the poller and the UI thread.
    let shared: Mutex<Shared>
    /// The lines entered at the prompts, this run's and earlier runs'.
    let promptHistory: Mutex<PromptHistory>

    struct Shared {
        var snapshot: ClusterSnapshot?
        var tasks: [TaskView] = []
        var ops: [Double] = []
        var loadOn = false
        /// The plan of the load last started here: the header says what it sends.
        var loadPlan: LoadPlan?
        var history: HistoryReport?
        var recovery: RecoveryMode
        var quit = false
        var tokenRefused = false
        /// The node the describe view shows (the UI thread sets it), and, for a node Flotilla did
        /// not launch, its own recent events as the poller last read them.
        var described: String?
        var nodeEvents: [String] = []
    }

    /// The session the console's options ask for: a watched look every `refresh`, the monitor,
    /// and recovery in the chosen mode.
    public static func sessionOptions(_ options: Options) -> SessionOptions {
        var o = SessionOptions()
        o.interval = options.refresh
        o.feed = .watch
        o.recovery = options.recovery
        return o
    }

    public convenience init(control: ClusterControl, options: Options) {
        self.init(engine: FlotillaEngine(control: control), options: options)
    }

    public convenience init(engine: any Engine, options: Options) {
        self.init(session: ClusterSession(engine: engine, options: Self.sessionOptions(options), recorder: options.recorder), options: options)
    }

    public init(session: ClusterSession, options: Options) {
        self.session = session
        engine = session.engine
        control = session.control
        events = session.events
        self.options = options
        recovery = session.recovery
        performer = session.performer
        shared = Mutex(Shared(recovery: options.recovery))
        promptHistory = Mutex(PromptHistory(path: options.historyFile))
    }

    /// The first screen the console draws: the operator's settings, no cluster seen yet.
    func initialModel() -> ConsoleModel {
        var model = ConsoleModel(snapshot: ClusterSnapshot(seq: 0, takenAt: Date(), nodes: []))
        model.readonly = options.readonly
        model.local = engine.launchedHere
        model.hasTasks = engine.kind == "flotilla"
        model.recovery = options.recovery
        model.recording = session.recorder != nil || options.castPath != nil
        return model
    }

    /// Runs until the operator quits or `stopRequested` turns true; the terminal is restored on
    /// every way out. The session's loop runs meanwhile (stopped again at the end if it was not
    /// running before); closing the session is the caller's.
    public func run(stopRequested: @escaping @Sendable () -> Bool) async {
        let ticks = session.ticks()
        let poller = Task { await self.follow(ticks) }
        let ownLoop = !session.isRunning
        await session.start()
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            let thread = Thread {
                self.uiLoop(stopRequested: stopRequested)
                done.resume()
            }
            thread.stackSize = 1 << 22
            thread.start()
        }
        poller.cancel()
        await poller.value
        await performer.loads.stop()
        if ownLoop { await session.stopLoop() }
    }

    // MARK: - Poller

    /// Reads the session's rounds: the commit rate, the task list (the recorder gets its changes),
    /// a described node's own events, and what the UI thread shows.
    func follow(_ ticks: AsyncStream<SessionTick>) async {
        var commitRate = CommitRate()
        var rounds = 0
        var tasksMark: String?
        // A node that takes no token (etcd) or one this machine launched needs no check.
        var tokenChecked = control?.client.launcher != nil || control == nil
        for await tick in ticks {
            if Task.isCancelled { break }
            let s = tick.snapshot
            if !tokenChecked, let first = s.live.first {
                tokenChecked = await checkToken(at: first.adminAddress)
            }
            let rate = commitRate.sample(s)
            // Tasks change only through the log: ask again (at most once a second) when the
            // leader's commit moved, and every 5 s regardless.
            var tasks: [TaskView]?
            let mark = s.leader.map { "\($0.id)/\($0.commit)" }
            if let control, rounds % 5 == 0, mark != tasksMark || rounds % 25 == 0 {
                tasks = (try? await control.tasks(limit: 60, in: s))?.tasks
                if let tasks {
                    session.recorder?.observe(tasks: tasks)
                    tasksMark = mark
                }
            }
            // A described node that Flotilla did not launch: its own events, read once a second.
            if let control, control.client.launcher == nil, rounds % 5 == 0, let id = shared.withLock({ $0.described }),
               let address = s.node(id)?.adminAddress {
                let lines = await nodeEvents(at: address)
                shared.withLock { if $0.described == id { $0.nodeEvents = lines } }
            }
            rounds += 1
            let mode = await recovery?.effectiveMode ?? options.recovery
            let loadOn = await performer.loads.active
            shared.withLock { sh in
                sh.snapshot = s
                if let tasks { sh.tasks = tasks }
                if let rate { sh.ops = Array((sh.ops + [rate]).suffix(30)) }
                sh.recovery = mode
                sh.loadOn = loadOn
            }
        }
    }

    /// Asks one node whether it takes this console's token (`TokenCheck`); when it refuses, says
    /// so at once and marks the keys it will refuse. False while nothing is known yet.
    func checkToken(at address: String) async -> Bool {
        guard let control else { return true }
        switch await TokenCheck.check(control.client.admin, at: address) {
        case .accepted: return true
        case .unknown: return false
        case .refused:
            shared.withLock { $0.tokenRefused = true }
            events.emit(.action, "\(TokenCheck.advice): the nodes refuse this console's token; the keys marked \(KeyMap.tokenMark) will be refused",
                                reason: "token", ok: false, category: "token")
            return true
        }
    }

    /// The tail of `id`'s log: its `node.log` when Flotilla launched it, else the node's own
    /// events (`GET /v1/events/recent`) as the poller last read them.
    func nodeLog(_ id: String) -> [String] {
        if let launcher = control?.client.launcher, let spec = try? launcher.load(), let node = spec.node(id) {
            return LogTail.lines(of: node.logFile, max: LogTail.defaultLines)
        }
        return shared.withLock { $0.described == id ? $0.nodeEvents : [] }
    }

    /// A node's recent events as log lines: `1m5s role term 7: became leader` (its uptime when it happened).
    func nodeEvents(at address: String) async -> [String] {
        guard let control else { return [] }
        do {
            let events: [NodeEvent] = try await control.client.admin.call("GET", address, "/v1/events/recent?limit=\(LogTail.defaultLines)", timeout: .seconds(1))
            return events.map { "\(formatUptime($0.atMs)) \($0.kind) term \($0.term): \($0.message)" }
        } catch {
            return ["(its events cannot be read: \(error))"]
        }
    }

    /// Checks the load's history so far for linearizability (bounded in time) and reports it as an event.
    func checkHistory() async {
        guard let ops = await performer.loads.current?.history, !ops.isEmpty else { return }
        let report = HistoryReport(operations: ClientHistory.lines(ops), within: .seconds(5))
        shared.withLock { $0.history = report }
        let ok = report.verdict.word != "violated"
        events.emit(.load, report.summary + (ok ? "" : " (H shows the window)"), reason: "checker", ok: ok, category: "history")
    }

    // MARK: - UI thread

    func uiLoop(stopRequested: @Sendable () -> Bool) {
        ScreenLoop(options: options, keys: keys).run(initialModel(), stop: { stopRequested() || shared.withLock { $0.quit } }, refresh: { model in
            shared.withLock { sh in
                if let s = sh.snapshot { model.snapshot = s }
                model.tasks = sh.tasks
                model.opsHistory = sh.ops
                model.recovery = sh.recovery
                model.loadOn = sh.loadOn
                model.loadPlan = sh.loadPlan
                model.history = sh.history
                model.tokenRefused = sh.tokenRefused
                if case .node(let id)? = model.overlay { sh.described = id } else { sh.described = nil; sh.nodeEvents = [] }
            }
            if case .node(let id)? = model.overlay { model.nodeLog = nodeLog(id) }
            model.events = events.recent
            model.now = Date()
        }, handle: handle)
    }

    /// Applies one key; true means quit.
    func handle(_ key: Key, _ m: inout ConsoleModel) -> Bool {
        // A resize is not an answer: it must not cancel a question or edit a prompt.
        if key == .resize { return false }
        if ViewKeys.handle(key, &m) { return false }
        switch m.overlay {
        case .help?, .history?, .event?, .node?, .leaders?:
            return false
        case .faults?:
            return faultKey(key, &m)
        case .confirm(_, let action)?:
            m.overlay = nil
            if key == .char("y") || key == .char("Y") { return perform(action, &m, origin: origin(of: action)) }
            events.emit(.action, "cancelled", reason: "operator")
            return false
        case .prompt(let kind, let text)?:
            return prompt(key, kind: kind, text: text, &m)
        case nil:
            m.promptCursor = nil
            m.promptRecall = nil
            let (action, why) = keys.action(for: key, model: m)
            if let why { events.emit(.action, why, reason: "operator", ok: false) }
            guard let action else { return false }
            if action == .quit, m.recording {
                m.overlay = .confirm("a recording runs; stop it and quit?", .quit)
                return false
            }
            if options.confirm, let question = keys.needsConfirmation(action) {
                m.overlay = .confirm(question, action)
                return false
            }
            return perform(action, &m, origin: origin(of: action))
        }
    }

    /// `u` and `h` in the fault list: undo the selected fault (through its operator commands), heal all.
    func faultKey(_ key: Key, _ m: inout ConsoleModel) -> Bool {
        switch key {
        case .char("u"):
            let entries = FaultLedger.entries(m.snapshot, events: m.events)
            guard entries.indices.contains(m.selectedFault) else {
                events.emit(.action, "undo: no fault selected", reason: "operator", ok: false)
                return false
            }
            for command in entries[m.selectedFault].undo { _ = perform(.run(command), &m, origin: "key u") }
        case .char("h"):
            return perform(.run(.heal), &m, origin: "key h")
        default:
            break
        }
        return false
    }

    /// Who asked, for the transcript: the key bound to the action's command.
    func origin(of action: ConsoleAction) -> String {
        guard case .run(let command) = action else { return "key" }
        let key: String? = switch command {
        case .kill: "k"
        case .restart: "r"
        case .pause, .resume: "z"
        case .partition(.isolate): "p"
        case .heal: "h"
        case .delay: "d"
        case .loss: "o"
        case .disk: "f"
        case .skew: "w"
        case .transfer: "t"
        case .scale(.add, _): "+"
        case .scale(.removeNode, _): "-"
        case .replace: "X"
        case .approve: "a"
        case .load: "l"
        case .recover: "R"
        default: nil
        }
        return key.map { "key \($0)" } ?? "key"
    }

    /// Runs an action: view changes at once, cluster operations as tasks that report through events.
    func perform(_ action: ConsoleAction, _ m: inout ConsoleModel, origin: String) -> Bool {
        if action.mutates, m.readonly {
            events.emit(.action, "read-only console (--readonly)", reason: "operator", ok: false)
            return false
        }
        let events = events
        let performer = performer
        func async(_ body: @escaping @Sendable () async throws -> Void) {
            Task {
                do { try await ActionOrigin.$current.withValue(origin) { try await body() } } catch {
                    // Operations already reported their failure; anything else is reported here.
                    if !(error is OrchestratorError) && !(error is APIError) { events.emit(.action, "\(error)", reason: "operator", ok: false) }
                }
            }
        }
        switch action {
        case .select(let d): m.selected += d
        case .help: m.overlay = .help
        case .showHistory: m.overlay = .history
        case .showFaults:
            m.selectedFault = 0
            m.overlay = .faults
        case .close: m.overlay = nil
        case .quit: return true
        case .openPrompt(let kind):
            m.completions = []
            m.overlay = .prompt(kind: kind, text: kind == .submit ? CommandLineParser.defaultSubmit : kind == .filter ? m.eventFilter : "")
        case .filter(let text): m.eventFilter = text
        case .taskFilter(let node, let state): m.taskNode = node; m.taskState = state
        case .command(let line):
            switch CommandLineParser.parse(line, model: m) {
            case .success(let parsed): return perform(parsed, &m, origin: origin)
            case .failure(let e): events.emit(.action, e.description, reason: "operator", ok: false)
            }
        case .run(let command):
            if case .recover(let mode) = command { m.recovery = mode }
            if case .load(let plan?) = command { shared.withLock { $0.loadPlan = plan } }
            async {
                try await performer.perform(command)
                // A load that stops, or a panic, ends a history worth checking.
                switch command {
                case .load(nil), .panic: await self.checkHistory()
                default: break
                }
            }
        }
        return false
    }
}
