import FlotillaAPI
import Foundation
import Orchestrator
import Synchronization

/// The console's loop. A UI thread owns the terminal: it reads keys, updates the model and
/// presents frames. A poller feeds snapshots, observed changes, recovery and the invariant
/// monitor; operator commands run as tasks through `CommandPerformer` and report through the
/// engine's events. On an engine other than Flotilla's node (etcd) there is no task list,
/// recovery or log-hash monitor: the cluster, its events and the verbs the engine takes.
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

    let engine: any Engine
    /// Flotilla's control plane when the engine is its node (tasks, recovery, the monitor).
    let control: ClusterControl?
    let events: EventSink
    let options: Options
    let keys = KeyMap()
    let recovery: Recovery?
    let monitor: MonitorRun?
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
        var history: HistoryReport?
        var recovery: RecoveryMode
        var quit = false
    }

    public convenience init(control: ClusterControl, options: Options) {
        self.init(engine: FlotillaEngine(control: control), options: options)
    }

    public init(engine: any Engine, options: Options) {
        self.engine = engine
        let control = (engine as? FlotillaEngine)?.control
        self.control = control
        events = engine.events
        self.options = options
        let recovery = control.map { Recovery(control: $0, mode: options.recovery) }
        self.recovery = recovery
        monitor = control.map { MonitorRun(control: $0) }
        performer = CommandPerformer(engine: engine, recovery: recovery)
        shared = Mutex(Shared(recovery: options.recovery))
        promptHistory = Mutex(PromptHistory(path: options.historyFile))
    }

    /// The first screen the console draws: the operator's settings, no cluster seen yet.
    func initialModel() -> ConsoleModel {
        var model = ConsoleModel(snapshot: ClusterSnapshot(seq: 0, takenAt: Date(), nodes: []))
        model.readonly = options.readonly
        model.local = engine.launchedHere
        model.recovery = options.recovery
        model.recording = options.recorder != nil || options.castPath != nil
        return model
    }

    /// Runs until the operator quits or `stopRequested` turns true; the terminal is restored on every way out.
    public func run(stopRequested: @escaping @Sendable () -> Bool) async {
        if let recorder = options.recorder { await performer.loads.onOperation { recorder.record($0) } }
        let poller = Task { await self.poll() }
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
    }

    // MARK: - Poller

    func poll() async {
        var observer = ChangeObserver()
        var commitRate = CommitRate()
        var rounds = 0
        var tasksMark: String?
        for await s in engine.snapshots(every: options.refresh) {
            if Task.isCancelled { break }
            for e in observer.observe(s) { events.emit(e) }
            options.recorder?.observe(s)
            await monitor?.observe(s)
            await recovery?.step(s)
            let rate = commitRate.sample(s)
            // Tasks change only through the log: ask again (at most once a second) when the
            // leader's commit moved, and every 5 s regardless.
            var tasks: [TaskView]?
            let mark = s.leader.map { "\($0.id)/\($0.commit)" }
            if let control, rounds % 5 == 0, mark != tasksMark || rounds % 25 == 0 {
                tasks = (try? await control.tasks(limit: 60, in: s))?.tasks
                if let tasks {
                    options.recorder?.observe(tasks: tasks)
                    tasksMark = mark
                }
            }
            if rounds % 25 == 24 { await monitor?.probeHashes(s) }
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
                model.history = sh.history
            }
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
        case .help?, .history?, .event?:
            return false
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
