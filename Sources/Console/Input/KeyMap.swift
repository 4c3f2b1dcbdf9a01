import FlotillaAPI
import Foundation
import Orchestrator

/// A key the terminal sent.
public enum Key: Equatable, Sendable {
    case char(Character)
    /// Ctrl with a letter: `.control("u")` is Ctrl-U. Never text.
    case control(Character)
    case up, down, left, right, escape, enter, backspace, delete, tab, resize
    case home, end, pageUp, pageDown
}

/// The key map: one place that says which key does what, used by the handler, the key bar and `?`.
public struct KeyMap: Sendable {
    public struct Binding: Sendable {
        public var key: String
        public var label: String
        public var help: String
        /// Changes the cluster (off in --readonly).
        public var mutates: Bool
        /// Needs local processes (off with --connect to remote nodes).
        public var needsLocal: Bool
    }

    public init() {}

    /// What the fault keys set: `d` delays by `delayMs` ± `jitterMs`, `o` loses `lossShare`, `w` runs the clock at `skewRate`.
    public static let delayMs = 100
    public static let jitterMs = 20
    public static let lossShare = 0.1
    public static let skewRate = 3.0

    public let bindings: [Binding] = [
        Binding(key: "k", label: "kill", help: "kill the selected node (SIGKILL)", mutates: true, needsLocal: true),
        Binding(key: "r", label: "restart", help: "restart the selected node on its data", mutates: true, needsLocal: true),
        Binding(key: "z", label: "pause", help: "pause (SIGSTOP) or resume the selected node", mutates: true, needsLocal: true),
        Binding(key: "p", label: "partition", help: "isolate the selected node (:partition n1,n2|n3 for groups)", mutates: true, needsLocal: false),
        Binding(key: "h", label: "heal", help: "clear every fault and verify", mutates: true, needsLocal: false),
        Binding(key: "d", label: "delay", help: "delay the selected node's links \(KeyMap.delayMs)ms±\(KeyMap.jitterMs); again clears it", mutates: true, needsLocal: false),
        Binding(key: "o", label: "loss", help: "lose \(Int(KeyMap.lossShare * 100))% on the selected node's links; again clears it", mutates: true, needsLocal: false),
        Binding(key: "f", label: "disk", help: "fill the selected node's disk (ENOSPC); again frees it", mutates: true, needsLocal: false),
        Binding(key: "w", label: "skew", help: "run the selected node's clock \(FaultSpec.rateText(KeyMap.skewRate)) fast; again true", mutates: true, needsLocal: false),
        Binding(key: "t", label: "transfer", help: "make the selected node the leader", mutates: true, needsLocal: false),
        Binding(key: "+", label: "add", help: "add a node (join, catch up, promote)", mutates: true, needsLocal: true),
        Binding(key: "-", label: "remove", help: "remove the selected node", mutates: true, needsLocal: true),
        Binding(key: "X", label: "replace", help: "replace the selected node: remove it, start it empty, catch it up, promote it", mutates: true, needsLocal: true),
        Binding(key: "a", label: "approve", help: "approve the pending join", mutates: true, needsLocal: false),
        Binding(key: "s", label: "submit", help: "submit a task (a prompt with defaults)", mutates: true, needsLocal: false),
        Binding(key: "l", label: "load", help: "turn the load on or off", mutates: true, needsLocal: false),
        Binding(key: "F", label: "faults", help: "what is broken now: every fault in force, who set it and when; there j/k select, u undoes the selected one, h heals all", mutates: false, needsLocal: false),
        Binding(key: "L", label: "leaders", help: "who led which term, from when to when, and why each reign ended (killed, partitioned, transferred, …)",
                mutates: false, needsLocal: false),
        Binding(key: "H", label: "history", help: "the load's last linearizability check and its failing window", mutates: false, needsLocal: false),
        Binding(key: "R", label: "recovery", help: "cycle recovery: off, advise, auto", mutates: true, needsLocal: false),
        Binding(key: "/", label: "filter", help: "filter the events", mutates: false, needsLocal: false),
        Binding(key: ":", label: "command", help: "a command line: kill n2, partition n1|n2,n3, scale +1, …", mutates: false, needsLocal: false),
        Binding(key: "?", label: "help", help: "this help", mutates: false, needsLocal: false),
        Binding(key: "q", label: "quit", help: "quit (Esc closes overlays)", mutates: false, needsLocal: false),
    ]

    /// Whether a binding can be used now, and if not, why.
    public func unavailable(_ b: Binding, readonly: Bool, local: Bool) -> String? {
        if b.mutates && readonly { return "read-only console (--readonly)" }
        if b.needsLocal && !local { return "the nodes are not local processes (--connect)" }
        return nil
    }

    /// The keys usable now, in the map's order: what the key bar picks from.
    public func bar(readonly: Bool, local: Bool) -> [Binding] {
        bindings.filter { unavailable($0, readonly: readonly, local: local) == nil }
    }

    /// The mark on a key that changes the cluster while the nodes refuse the console's token.
    public static let tokenMark = "*"

    /// The key bar keeps these first, in this order: help and quit always, then the command
    /// line and the filter, which reach everything else; the other keys follow in the map's order.
    static let barPriority = ["?", "q", ":", "/"]

    /// The key bar's text for `width` columns: whole `k label` entries in the map's order, the
    /// ones of lowest priority left out first (`barPriority`, then the map's order), so `? help`
    /// and `q quit` always show and a narrow bar still says where the rest is.
    /// With `tokenRefused`, the keys that change the cluster are marked `*` (the nodes will refuse them).
    public func barText(readonly: Bool, local: Bool, width: Int, tokenRefused: Bool = false) -> String {
        KeyMap.barText(bar(readonly: readonly, local: local).map { b in (key: b.key, label: b.label + (tokenRefused && b.mutates ? Self.tokenMark : "")) },
                       priority: Self.barPriority, width: width)
    }

    /// Entries `k label` that fit `width`, chosen by `priority` (keys named there first, in its
    /// order, then the rest in order) and shown in their own order; the first of `priority`
    /// that are present stay even when nothing else fits.
    static func barText(_ entries: [(key: String, label: String)], priority: [String], width: Int) -> String {
        let ranked = priority.compactMap { p in entries.firstIndex { $0.key == p } } + entries.indices.filter { !priority.contains(entries[$0].key) }
        func text(_ e: (key: String, label: String)) -> String { "  \(e.key) \(e.label)" }
        var chosen: Set<Int> = []
        var used = -1  // the bar starts one blank in
        for (rank, i) in ranked.enumerated() {
            let n = text(entries[i]).count
            guard used + n <= width || rank < 2 else { break }
            chosen.insert(i)
            used += n
        }
        return String(entries.indices.filter(chosen.contains).map { text(entries[$0]) }.joined().dropFirst())
    }

    /// The keys that move the view, live and in playback, as the help lists them.
    public static let viewHelp = [
        "up/down, j     select a node (k is kill, as in htop)",
        "Tab            move between the nodes and the events panel",
        "Enter          describe the selected node (its log follows live); on an event, open it whole",
        "Esc            close what is open; clear the / filter",
        "in help        j/k or up/down, PgUp/PgDn, g/G (start/end) scroll",
    ]

    /// How the `:` and `/` prompts edit, as the help lists it.
    public static let promptHelp = [
        "left/right     move the cursor; Ctrl-A/Ctrl-E to the start/end",
        "Ctrl-U, Ctrl-W delete to the start of the line, the word before the cursor",
        "Ctrl-K         delete to the end; Backspace/Delete at the cursor",
        "up/down        earlier lines (kept across runs); Tab completes; Esc cancels",
    ]

    /// The `?` screen, built from the bindings and the `:` verbs.
    public func help(readonly: Bool, local: Bool, tokenRefused: Bool = false) -> [String] {
        let pad = { (s: String) in s.padding(toLength: 13, withPad: " ", startingAt: 0) }
        let keys = bindings.map { b in
            var why = unavailable(b, readonly: readonly, local: local).map { "  [unavailable: \($0)]" } ?? ""
            if why.isEmpty, tokenRefused, b.mutates { why = "  [\(Self.tokenMark) refused: \(TokenCheck.advice)]" }
            return "\(pad(b.key))  \(b.help)\(why)"
        }
        let width = (CommandLineParser.verbs.map(\.usage.count).max() ?? 25) + 1
        let commands = CommandLineParser.verbs.map { v in
            ":" + v.usage.padding(toLength: width, withPad: " ", startingAt: 0) + v.help + (v.mutates && readonly ? "  [read-only]" : "")
        }
        return ["Keys:"] + keys + ["", "Moving around:"] + Self.viewHelp + ["", "Prompts (: and /):"] + Self.promptHelp
            + ["", "Command line (: then Tab completes):"] + commands
    }

    /// The keys that work in playback, in the time bar's order.
    public static let playbackBindings: [(key: String, label: String, help: String)] = [
        ("space", "play", "pause / play (at the end: from the start)"),
        ("←/→", "event", "step to the previous / next event"),
        ("[ ]", "action", "jump to the previous / next operator action"),
        ("< >", "speed", "half / double the speed"),
        ("L", "leaders", "who led which term, from when to when, and why each reign ended"),
        ("F", "faults", "what was broken at this moment: every fault in force then, who set it and when"),
        ("?", "help", "this help"),
        ("q", "quit", "quit (Esc closes what is open)"),
    ]

    /// The `?` screen during playback: only what works there, in its words (no kill key, no live log).
    public static var playbackHelp: [String] {
        let moving = viewHelp.map {
            $0.replacingOccurrences(of: " (k is kill, as in htop)", with: "")
                .replacingOccurrences(of: "describe the selected node (its log follows live)", with: "describe the selected node as recorded")
        }
        return ["Keys:"] + playbackBindings.map { $0.key.padding(toLength: 13, withPad: " ", startingAt: 0) + "  " + $0.help }
            + ["", "Moving around:"] + moving
            + ["", "This is a recording, not a cluster: fault keys, the command line and the load are off."]
    }

    /// The action for a key with no overlay open; nil when the key means nothing or is unavailable
    /// (the returned string says why).
    public func action(for key: Key, model m: ConsoleModel) -> (ConsoleAction?, String?) {
        let node = m.selectedNode
        switch key {
        case .up: return (.select(-1), nil)
        case .down: return (.select(1), nil)
        case .escape: return (.close, nil)
        case .char("j"): return (.select(1), nil)
        case .char(let ch):
            guard let b = bindings.first(where: { $0.key == String(ch) }) else { return (nil, nil) }
            if let why = unavailable(b, readonly: m.readonly, local: m.local) { return (nil, "\(b.label): \(why)") }
            func on(_ make: (String) -> OperatorCommand) -> (ConsoleAction?, String?) {
                guard let node else { return (nil, "\(b.label): no node selected") }
                return (.run(make(node)), nil)
            }
            switch b.key {
            case "k": return on { .kill(node: $0) }
            case "r": return on { .restart(node: $0) }
            case "z": return on { m.snapshot.node($0)?.process == .paused ? .resume(node: $0) : .pause(node: $0) }
            case "p": return on { .partition(shape: .isolate(node: $0)) }
            case "h": return (.run(.heal), nil)
            case "d", "o", "f", "w":
                guard let node else { return (nil, "\(b.label): no node selected") }
                return (faultToggle(b.key, node, in: m.snapshot).map(ConsoleAction.run), nil)
            case "t": return on { .transfer(to: $0) }
            case "+": return (.run(.scale(change: .add(count: 1), purge: false)), nil)
            case "-": return on { .scale(change: .removeNode(id: $0), purge: false) }
            case "X": return on { .replace(node: $0) }
            case "a":
                guard let pending = m.snapshot.pending.first?.id else { return (nil, "no join is pending") }
                return (.run(.approve(node: pending)), nil)
            case "s": return (.openPrompt(.submit), nil)
            case "l": return (.run(.load(plan: m.loadOn ? nil : .standard)), nil)
            case "R":
                let next: RecoveryMode = switch m.recovery { case .off: .advise; case .advise: .auto; case .auto: .off }
                return (.run(.recover(mode: next)), nil)
            case "/": return (.openPrompt(.filter), nil)
            case ":": return (.openPrompt(.command), nil)
            case "?": return (.help, nil)
            case "H": return (.showHistory, nil)
            case "F": return (.showFaults, nil)
            case "q": return (.quit, nil)
            default: return (nil, nil)
            }
        default: return (nil, nil)
        }
    }

    /// What a fault key does to `node`, decided from the rules the console sees now: the fault
    /// when it is off, the clearing value when it is on. The link keys look at the links they set
    /// with `LINKS` = the node: its own to every peer and every peer's to it, as the matrix shows
    /// them (so a key pressed before every node's rules refreshed still clears what is shown). A
    /// fault on every link (`:delay all …`) is left to `:delay all 0` or heal.
    func faultToggle(_ key: String, _ node: String, in s: ClusterSnapshot) -> OperatorCommand? {
        let f = s.node(node)?.live?.faults ?? FaultSpec()
        let links = Array(f.links.values) + s.nodes.compactMap { $0.id == node ? nil : $0.live?.faults.links[node] }
        switch key {
        case "d":
            let on = links.contains { $0.delayMs > 0 || $0.jitterMs > 0 }
            return .delay(links: .node(node), delay: TimeSpan(milliseconds: on ? 0 : Self.delayMs), jitter: TimeSpan(milliseconds: on ? 0 : Self.jitterMs))
        case "o":
            let on = links.contains { $0.loss > 0 }
            return .loss(links: .node(node), share: Share(fraction: on ? 0 : Self.lossShare))
        case "f": return .disk(node: .node(node), fault: f.diskFull ? .ok : .full)
        case "w": return .skew(node: .node(node), rate: ClockRate(factor: f.clockRate != 1 ? 1 : Self.skewRate))
        default: return nil
        }
    }

    /// Kill and remove ask first (unless --no-confirm).
    public func needsConfirmation(_ a: ConsoleAction) -> String? {
        switch a {
        case .run(.kill(let n)): "kill \(n)?"
        case .run(.scale(.removeNode(let n), _)): "remove \(n) from the cluster?"
        case .run(.replace(let n)): "replace \(n) (its data is set aside)?"
        default: nil
        }
    }
}
