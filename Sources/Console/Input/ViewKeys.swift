/// The keys that only move the view, the same live and in playback: scrolling an overlay
/// (help, the history check, one event, a described node), moving between the nodes and the events panel (Tab),
/// choosing an event and opening it whole (Enter; on a node row Enter describes the node), the record of who led when (`L`), the fault list's selection, and Esc, which closes what is open or clears
/// the `/` filter. None of them changes the cluster.
public enum ViewKeys {
    /// Applies `key` if it is one of these; false leaves it to the caller.
    public static func handle(_ key: Key, _ m: inout ConsoleModel) -> Bool {
        switch m.overlay {
        case .help?, .history?, .event?, .node?, .leaders?:
            scroll(key, &m)
            return true
        case .faults?:
            // The list's own keys (u, h) change the cluster: the app handles them.
            return moveInFaults(key, &m)
        case .prompt?, .confirm?:
            return false
        case nil:
            break
        }
        switch key {
        case .char("L"):
            // Newest first, so the top is what happened last.
            m.overlayScroll = 0
            m.overlayFollows = false
            m.overlay = .leaders
        case .tab:
            m.focus = m.focus == .nodes && !m.visibleEvents.isEmpty ? .events : .nodes
            m.selectedEvent = 0
        case .escape:
            if !m.eventFilter.isEmpty { m.eventFilter = "" }
            m.focus = .nodes
            m.selectedEvent = 0
        case .enter:
            if m.focus == .nodes, let id = m.selectedNode {
                m.overlayScroll = ViewKeys.end
                m.overlayFollows = true
                m.nodeLog = []
                m.overlay = .node(id)
                return true
            }
            guard let e = m.selectedVisibleEvent else { return false }
            m.overlayScroll = 0
            m.overlay = .event(e)
        case .up where m.focus == .events:
            m.selectedEvent = min(m.selectedEvent + 1, max(0, m.visibleEvents.count - 1))
        case .down where m.focus == .events, .char("j") where m.focus == .events:
            m.selectedEvent = max(0, m.selectedEvent - 1)
        default:
            return false
        }
        return true
    }

    /// Scrolls an open overlay; Esc, q, ? (and H for the history, Enter for an event) close it.
    static func scroll(_ key: Key, _ m: inout ConsoleModel) {
        let page = max(1, m.overlayPage - 1)
        // Moving back stops a log from following; going to the end starts it again.
        switch key {
        case .up, .char("k"), .control("p"), .pageUp, .char("b"), .control("b"), .home, .char("g"): m.overlayFollows = false
        case .end, .char("G"): m.overlayFollows = true
        default: break
        }
        switch key {
        case .down, .char("j"), .control("n"): m.overlayScroll += 1
        case .up, .char("k"), .control("p"): m.overlayScroll = max(0, m.overlayScroll - 1)
        case .pageDown, .char(" "), .control("f"): m.overlayScroll += page
        case .pageUp, .char("b"), .control("b"): m.overlayScroll = max(0, m.overlayScroll - page)
        case .home, .char("g"): m.overlayScroll = 0
        case .end, .char("G"): m.overlayScroll = ViewKeys.end
        case .escape, .char("q"), .char("?"):
            close(&m)
        case .char("H") where m.overlay == .history, .char("L") where m.overlay == .leaders:
            close(&m)
        case .enter:
            if case .event? = m.overlay { close(&m) }
        default:
            break
        }
    }

    /// Moves the fault list's selection (arrows, j/k) or closes it (Esc, q, F); false leaves the key to the app.
    static func moveInFaults(_ key: Key, _ m: inout ConsoleModel) -> Bool {
        switch key {
        case .down, .char("j"): m.selectedFault += 1
        case .up, .char("k"): m.selectedFault = max(0, m.selectedFault - 1)
        case .escape, .char("q"), .char("F"):
            close(&m)
        default:
            return false
        }
        return true
    }

    /// Past any overlay's last line: the view shows the end (`G`).
    static let end = 1 << 40

    static func close(_ m: inout ConsoleModel) {
        m.overlay = nil
        m.overlayScroll = 0
        m.overlayFollows = false
    }
}
