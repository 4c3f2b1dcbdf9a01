import FlotillaAPI
import Foundation
import Orchestrator
import Synchronization

/// The console's loop. A UI thread owns the terminal: it reads keys, updates the model and
/// presents frames. A poller feeds snapshots, observed changes, recovery and the invariant
/// monitor; actions run as tasks against `ClusterControl` and report through its events.
public final class ConsoleApp: Sendable {
    public struct Options: Sendable {
        public var refresh: Duration = .milliseconds(200)
        public var readonly = false
        public var confirm = true
        public var recovery: RecoveryMode = .advise
        public var color = true
        public var theme = Theme.fallback
        public init() {}
    }

    let control: ClusterControl
    let options: Options
    let keys = KeyMap()
    let recovery: Recovery
    let monitor: MonitorRun
    let load: LoadGenerator
    /// Shared between the poller and the UI thread.
    let shared: Mutex<Shared>

    struct Shared {
        var snapshot: ClusterSnapshot?
        var tasks: [TaskView] = []
        var ops: [Double] = []
        var loadOn = false
        var recovery: RecoveryMode
        var quit = false
    }

    public init(control: ClusterControl, options: Options) {
        self.control = control
        self.options = options
        recovery = Recovery(control: control, mode: options.recovery)
        monitor = MonitorRun(control: control)
        load = LoadGenerator(control: control, rate: 20, submission: TaskSubmission(kind: "sleep", args: ["ms": "200"]))
        shared = Mutex(Shared(recovery: options.recovery))
    }

    /// Runs until the operator quits or `stopRequested` turns true; the terminal is restored on every way out.
    public func run(stopRequested: @escaping @Sendable () -> Bool) async {
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
        await load.stop()
    }

    // MARK: - Poller

    func poll() async {
        var observer = ChangeObserver()
        var lastCommit: (UInt64, Date)?
        var rounds = 0
        for await s in control.client.snapshots(every: options.refresh) {
            if Task.isCancelled { break }
            for e in observer.observe(s) { control.events.emit(e) }
            await monitor.observe(s)
            await recovery.step(s)
            var rate: Double?
            if let l = s.leader {
                if let (c, t) = lastCommit, s.takenAt > t { rate = Double(l.commit >= c ? l.commit - c : 0) / s.takenAt.timeIntervalSince(t) }
                lastCommit = (l.commit, s.takenAt)
            }
            var tasks: [TaskView]?
            if rounds % 5 == 0 { tasks = (try? await control.tasks(limit: 200))?.tasks }
            if rounds % 25 == 24 { await monitor.probeHashes(s) }
            rounds += 1
            let mode = await recovery.effectiveMode
            let loadOn = await load.active
            shared.withLock { sh in
                sh.snapshot = s
                if let tasks { sh.tasks = tasks }
                if let rate { sh.ops = Array((sh.ops + [rate]).suffix(30)) }
                sh.recovery = mode
                sh.loadOn = loadOn
            }
        }
    }

    // MARK: - UI thread

    func uiLoop(stopRequested: @Sendable () -> Bool) {
        let backend = TerminalBackend(theme: options.color ? options.theme : .mono, color: options.color)
        defer { backend.close() }
        var model = ConsoleModel(snapshot: ClusterSnapshot(seq: 0, takenAt: Date(), nodes: []))
        model.readonly = options.readonly
        model.local = control.client.launcher != nil
        model.recovery = options.recovery
        var lastFrame: Canvas?
        while !stopRequested() && !shared.withLock({ $0.quit }) {
            if let key = backend.readKey() {
                if key == .resize { lastFrame = nil }
                if handle(key, &model) { break }
            }
            shared.withLock { sh in
                if let s = sh.snapshot { model.snapshot = s }
                model.tasks = sh.tasks
                model.opsHistory = sh.ops
                model.recovery = sh.recovery
                model.loadOn = sh.loadOn
            }
            model.events = control.events.recent
            model.now = Date()
            model.selected = min(max(0, model.selected), max(0, model.snapshot.nodes.count - 1))
            let (w, h) = backend.size
            let frame = ConsoleView.render(model, width: w, height: h, ascii: backend.ascii, keys: keys)
            if frame != lastFrame {
                backend.present(frame)
                lastFrame = frame
            }
        }
    }

    /// Applies one key; true means quit.
    func handle(_ key: Key, _ m: inout ConsoleModel) -> Bool {
        switch m.overlay {
        case .help?:
            if key == .escape || key == .char("?") || key == .char("q") { m.overlay = nil }
            return false
        case .confirm(_, let action)?:
            m.overlay = nil
            if key == .char("y") || key == .char("Y") { return perform(action, &m) }
            control.events.emit(.action, "cancelled", reason: "operator")
            return false
        case .prompt(let kind, let text)?:
            switch key {
            case .escape: m.overlay = nil
            case .enter:
                m.overlay = nil
                switch kind {
                case .command: return perform(.command(text), &m)
                case .filter: m.eventFilter = text
                case .submit: return perform(.submit(text), &m)
                }
            case .backspace: m.overlay = .prompt(kind: kind, text: String(text.dropLast()))
            case .tab: m.overlay = .prompt(kind: kind, text: complete(text, m))
            case .char(let ch): m.overlay = .prompt(kind: kind, text: text + String(ch))
            default: break
            }
            return false
        case nil:
            let (action, why) = keys.action(for: key, model: m)
            if let why { control.events.emit(.action, why, reason: "operator", ok: false) }
            guard let action else { return false }
            if options.confirm, let question = keys.needsConfirmation(action) {
                m.overlay = .confirm(question, action)
                return false
            }
            return perform(action, &m)
        }
    }

    /// Completes the last word of a command line with a node id.
    func complete(_ text: String, _ m: ConsoleModel) -> String {
        let words = text.split(separator: " ", omittingEmptySubsequences: false)
        guard let last = words.last, !last.isEmpty else { return text }
        let ids = m.snapshot.nodes.map(\.id).filter { $0.hasPrefix(last) }
        guard ids.count == 1 else { return text }
        return (words.dropLast().map(String.init) + [ids[0]]).joined(separator: " ") + " "
    }

    /// Runs an action: view changes at once, cluster operations as tasks that report through events.
    func perform(_ action: ConsoleAction, _ m: inout ConsoleModel) -> Bool {
        let c = control
        func async(_ body: @escaping @Sendable () async throws -> Void) {
            Task {
                do { try await body() } catch {
                    // Operations already reported their failure; anything else is reported here.
                    if !(error is OrchestratorError) && !(error is APIError) { c.events.emit(.action, "\(error)", reason: "operator", ok: false) }
                }
            }
        }
        switch action {
        case .select(let d): m.selected += d
        case .help: m.overlay = .help
        case .close: m.overlay = nil
        case .quit: return true
        case .openPrompt(let kind): m.overlay = .prompt(kind: kind, text: kind == .submit ? "sleep ms=200" : kind == .filter ? m.eventFilter : "")
        case .filter(let text): m.eventFilter = text
        case .kill(let n): async { try await c.kill(n) }
        case .restart(let n): async { try await c.restart(n) }
        case .togglePause(let n):
            let paused = m.snapshot.node(n)?.process == .paused
            async { paused ? try await c.resume(n) : try await c.pause(n) }
        case .isolate(let n): async { _ = try await c.isolate(n) }
        case .heal: async { _ = await c.heal() }
        case .transfer(let n): async { _ = try await c.transfer(to: n) }
        case .scaleUp: async { _ = try await c.scaleUp() }
        case .scaleDown(let n): async { _ = try await c.scaleDown(n) }
        case .approve(let n): async { try await c.approve(n) }
        case .submit(let text):
            let words = text.split(separator: " ").map(String.init)
            guard let kind = words.first else { return false }
            var args: [String: String] = [:]
            for w in words.dropFirst() {
                let kv = w.split(separator: "=", maxSplits: 1)
                if kv.count == 2 { args[String(kv[0])] = String(kv[1]) }
            }
            let submission = TaskSubmission(kind: kind, args: args)
            async { _ = try await c.submit(submission) }
        case .toggleLoad:
            let load = load
            async { if await load.active { await load.stop() } else { await load.start() } }
        case .cycleRecovery:
            let next: RecoveryMode = switch m.recovery { case .off: .advise; case .advise: .auto; case .auto: .off }
            m.recovery = next
            let recovery = recovery
            async { await recovery.setMode(next) }
        case .command(let line):
            return command(line, &m)
        }
        return false
    }

    /// The `:` command line: every CLI operation by name.
    func command(_ line: String, _ m: inout ConsoleModel) -> Bool {
        let words = line.split(separator: " ").map(String.init)
        guard let verb = words.first else { return false }
        let arg = words.dropFirst().joined(separator: " ")
        let one = words.count > 1 ? words[1] : nil
        let mutating = !["filter", "tasks", "help", "quit", "q"].contains(verb)
        if mutating, options.readonly {
            control.events.emit(.action, "\(verb): read-only console (--readonly)", reason: "operator", ok: false)
            return false
        }
        let c = control
        let action: ConsoleAction?
        switch (verb, one) {
        case ("kill", let n?): action = .kill(n)
        case ("restart", let n?): action = .restart(n)
        case ("pause", let n?), ("resume", let n?): action = .togglePause(n)
        case ("isolate", let n?): action = .isolate(n)
        case ("transfer", let n?): action = .transfer(n)
        case ("approve", let n?): action = .approve(n)
        case ("heal", _): action = .heal
        case ("submit", _): action = .submit(arg.isEmpty ? "sleep ms=200" : arg)
        case ("filter", _): action = .filter(arg)
        case ("help", _): action = .help
        case ("quit", _), ("q", _): action = .quit
        case ("partition", _):
            Task { _ = try? await c.partition(arg) }
            action = nil
        case ("panic", _):
            let load = load
            Task { _ = await c.panic(load: load) }
            action = nil
        case ("transfer", nil):
            Task { _ = try? await c.transfer() }
            action = nil
        case ("scale", let n?):
            if n == "+1" { action = .scaleUp } else if n == "-1" || n == "-" { action = words.count > 2 ? .scaleDown(words[2]) : m.selectedNode.map(ConsoleAction.scaleDown) } else if let size = Int(n) {
                Task { _ = try? await c.scale(to: size) }
                action = nil
            } else { action = nil; control.events.emit(.action, "scale takes +1, -1 [node] or a size", reason: "operator", ok: false) }
        case ("load", let s?): action = (s == "on") != m.loadOn ? .toggleLoad : nil
        case ("recover", let mode?):
            guard let r = RecoveryMode(rawValue: mode) else {
                control.events.emit(.action, "recover takes off, advise or auto", reason: "operator", ok: false)
                return false
            }
            m.recovery = r
            let recovery = recovery
            Task { await recovery.setMode(r) }
            action = nil
        case ("tasks", let f):
            if let f, m.snapshot.node(f) != nil { m.taskNode = f } else if let f, f != "all" { m.taskState = f } else { m.taskNode = nil; m.taskState = nil }
            action = nil
        default:
            control.events.emit(.action, "unknown command \"\(line)\": try kill, restart, pause, resume, partition, isolate, heal, panic, transfer, scale, approve, submit, load, recover, tasks, filter, quit",
                                reason: "operator", ok: false)
            action = nil
        }
        return action.map { perform($0, &m) } ?? false
    }
}
