import Foundation
import Orchestrator

/// `flotilla console --replay FILE`: the console's panels driven by a recorded transcript,
/// with a time bar. Space pauses and resumes, ←/→ step between events, [ and ] between
/// operator actions; fault keys are off.
public final class PlaybackApp: Sendable {
    let transcript: Transcript
    let options: ConsoleApp.Options
    let warning: String?

    public init(transcript: Transcript, options: ConsoleApp.Options, warning: String? = nil) {
        self.transcript = transcript
        self.options = options
        self.warning = warning
    }

    /// Plays until the operator quits or `stopRequested` turns true.
    public func run(stopRequested: @escaping @Sendable () -> Bool) {
        var playback = Playback(transcript)
        var base = ConsoleModel(snapshot: ClusterSnapshot(seq: 0, takenAt: playback.startedAt, nodes: []))
        base.readonly = true
        base.local = false
        if let r = transcript.header.recover.flatMap(RecoveryMode.init(rawValue:)) { base.recovery = r }
        var last = ContinuousClock.now
        let keys = KeyMap()
        ScreenLoop(options: options, keys: keys).run(playback.model(base: base), stop: stopRequested, refresh: { m in
            let now = ContinuousClock.now
            let elapsed = now - last
            last = now
            playback.advance(by: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
            var kept = base
            kept.overlay = m.overlay
            kept.selected = m.selected
            kept.eventFilter = m.eventFilter
            kept.focus = m.focus
            kept.selectedEvent = m.selectedEvent
            kept.overlayScroll = m.overlayScroll
            kept.overlayPage = m.overlayPage
            kept.selectedFault = m.selectedFault
            m = playback.model(base: kept)
        }, handle: { key, m in
            PlaybackApp.handle(key, &m, &playback, keys: keys)
        })
    }

    /// Applies one key in playback; true means quit. A live console's key that a recording
    /// cannot take says so in the time bar instead of doing nothing.
    static func handle(_ key: Key, _ m: inout ConsoleModel, _ p: inout Playback, keys: KeyMap) -> Bool {
        if key == .resize { return false }
        p.notice = nil
        if ViewKeys.handle(key, &m) { return false }
        if m.overlay == .faults, key == .char("u") || key == .char("h") {
            p.notice = "\(key == .char("u") ? "u undo" : "h heal"): a recording cannot be changed"
            return false
        }
        if m.overlay != nil { return false }
        switch key {
        case .char(" "):
            if !p.playing, p.position >= p.duration { p.seek(0) }
            p.playing.toggle()
        case .right: p.step(forward: true, actionsOnly: false)
        case .left: p.step(forward: false, actionsOnly: false)
        case .char("]"): p.step(forward: true, actionsOnly: true)
        case .char("["): p.step(forward: false, actionsOnly: true)
        case .char(">"): p.speed = min(16, p.speed * 2)
        case .char("<"): p.speed = max(0.25, p.speed / 2)
        case .up: m.selected -= 1
        case .down, .char("j"): m.selected += 1
        case .char("?"): m.overlay = .help
        case .char("F"):
            m.selectedFault = 0
            m.overlay = .faults
        case .char("q"): return true
        case .char(let c):
            if let b = keys.bindings.first(where: { $0.key == String(c) }) {
                p.notice = "\(b.key) \(b.label): not in a recording (? lists what works)"
            }
        default: break
        }
        return false
    }
}
