import FlotillaAPI
import Foundation

/// Runs the analyzers over each snapshot: every new finding is an event with its reason, and in
/// auto mode the fix runs, after checking it again against fresh state. Two automatic actions on
/// one node within the cooldown need an operator instead.
public actor Recovery {
    public let host: any RecoveryHost
    public var mode: RecoveryMode
    public var cooldown: Double
    var analyzer: RecoveryAnalyzer
    var active = Set<String>()

    public init(host: any RecoveryHost, mode: RecoveryMode, analyzer: RecoveryAnalyzer = RecoveryAnalyzer(), cooldown: Double = 30) {
        self.host = host
        self.mode = mode
        self.analyzer = analyzer
        self.cooldown = cooldown
    }

    /// Recovery of Flotilla's nodes.
    public init(control: ClusterControl, mode: RecoveryMode, analyzer: RecoveryAnalyzer = RecoveryAnalyzer(), cooldown: Double = 30) {
        self.init(host: control, mode: mode, analyzer: analyzer, cooldown: cooldown)
    }

    /// The mode in force: the operator's (panic sets advise) overrides the configured one.
    public var effectiveMode: RecoveryMode {
        host.intents.current.recover.flatMap(RecoveryMode.init(rawValue:)) ?? mode
    }

    public func setMode(_ m: RecoveryMode) {
        mode = m
        host.intents.update { $0.recover = m.rawValue }
        host.events.emit(.recovery, "recovery mode: \(m.rawValue)", reason: "operator", category: "recover",
                            action: OperatorAction(verb: "recover", target: m.rawValue, command: .recover(mode: m)))
    }

    /// Analyzes one snapshot and acts on what is new; the findings it saw for the first time.
    @discardableResult
    public func step(_ s: ClusterSnapshot) async -> [RecoveryFinding] {
        let mode = effectiveMode
        guard mode != .off else { return [] }
        let intents = host.intents.current
        let findings = analyzer.analyze(s, intents: intents)
        let keys = Set(findings.map(\.key))
        for gone in active.subtracting(keys).sorted() where !gone.hasPrefix("learner:") {
            host.events.emit(.recovery, "resolved: \(gone)", reason: "recovery", category: "recovery-resolved")
        }
        let new = findings.filter { !active.contains($0.key) }
        active = keys
        for f in new {
            host.events.emit(.recovery, node: f.node, f.message, reason: "detected", category: "recovery-detected")
            guard let action = f.action else { continue }
            if mode == .advise {
                host.events.emit(.recovery, node: f.node, "advice: \(describe(action)) (recovery is in advise mode)", reason: f.key)
                continue
            }
            await run(action, for: f)
        }
        return new
    }

    func run(_ action: RecoveryAction, for finding: RecoveryFinding) async {
        let now = Date()
        if let node = finding.node {
            let recent = (host.intents.current.automaticActions[node] ?? []).filter { now.timeIntervalSince($0) < cooldown }
            if !recent.isEmpty {
                host.events.emit(.recovery, node: node,
                                    "\(node) needs an operator: a second automatic action within \(Int(cooldown))s (\(describe(action)) held back)",
                                    reason: "anti-flapping", ok: false)
                return
            }
        }
        // Check again against fresh state: the condition may have cleared meanwhile.
        let fresh = await host.recoveryLook()
        var scratch = analyzer
        guard scratch.analyze(fresh, intents: host.intents.current).contains(where: { $0.action == action }) else {
            host.events.emit(.recovery, node: finding.node, "skipped \(describe(action)): no longer needed", reason: "re-checked")
            return
        }
        do {
            switch action {
            case .bootstrap:
                try await host.recoveryBootstrap(reason: "recovery: uninitialized cluster")
            case .restart(let id):
                let done = try await host.recoveryRestart(id)
                host.events.emit(.recovery, node: id, "restarted \(id) (\(done))", reason: finding.message, category: "recovery-action",
                                 action: OperatorAction(verb: "restart", target: id, by: "recovery"))
            case .replace(let id):
                try await host.recoveryReplace(id)
            }
            if let node = finding.node {
                host.intents.update { $0.automaticActions[node, default: []] = ($0.automaticActions[node] ?? []).filter { now.timeIntervalSince($0) < 3600 } + [now] }
            }
        } catch {
            host.events.emit(.recovery, node: finding.node, "\(describe(action)) failed: \(error)", reason: finding.key, ok: false)
        }
    }

    func describe(_ action: RecoveryAction) -> String {
        switch action {
        case .bootstrap: "bootstrap the cluster"
        case .restart(let id): "restart \(id)"
        case .replace(let id): "replace \(id)"
        }
    }
}
