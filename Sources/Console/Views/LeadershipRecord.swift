import Foundation
import Orchestrator

/// A record of who led when: each leader and its term, from when it was first seen leading to
/// when another took over, and why its reign ended where the events say (killed, paused,
/// isolated, partitioned, transferred, removed, restarted, down, lost) — `stepped down` when it
/// was still up and nothing the operator did explains it. Read from the events the console keeps
/// (observed elections and the operator's actions), so the live console and a recording's
/// playback draw the same record.
public struct LeadershipRecord: Sendable, Equatable {
    /// One leader's term.
    public struct Reign: Sendable, Equatable {
        public var leader: String
        public var term: UInt64
        public var from: Date
        /// When the next leader was seen (nil: it still leads, as far as the events go).
        public var until: Date?
        /// Why it ended, where the events say (nil: it still leads).
        public var end: String?
        /// What the operator did that ended it (`kill n2 (key k)`), when that is the reason.
        public var cause: String?
    }

    /// Oldest first.
    public var reigns: [Reign] = []

    public init(events: [ControlEvent]) {
        // What may end the current reign, the most telling kept: an operator's action on the
        // leader beats the leader going down, which beats losing it.
        var ending: (word: String, cause: String?, rank: Int)?
        func consider(_ word: String, _ cause: String?, rank: Int) {
            if ending == nil || rank >= ending!.rank { ending = (word, cause, rank) }
        }
        // An action counts from when it was asked for: its outcome's event comes after it finished,
        // often after the election it caused (a transfer's new leader is seen before it returns).
        let ordered = events.enumerated().sorted { a, b in
            let ta = a.element.action?.startedAt ?? a.element.at, tb = b.element.action?.startedAt ?? b.element.at
            return ta != tb ? ta < tb : a.offset < b.offset
        }.map(\.element)
        for e in ordered {
            if e.category == "election" || e.category == "leader", let id = e.node, let term = LeadershipRecord.term(in: e.message) {
                if let last = reigns.last, last.leader == id, last.term == term { continue }
                if !reigns.isEmpty {
                    let i = reigns.count - 1
                    reigns[i].until = e.at
                    reigns[i].end = ending?.word ?? (reigns[i].leader == id ? "new term" : "stepped down")
                    reigns[i].cause = ending?.cause
                }
                reigns.append(Reign(leader: id, term: term, from: e.at))
                ending = nil
                continue
            }
            guard let current = reigns.last?.leader else { continue }
            if let a = e.action, e.ok, e.kind == .action || e.kind == .recovery {
                let target = a.target ?? ""
                let onLeader = target == current || target == "leader"
                let cause = "\(a.summary) (\(a.by))"
                switch a.verb {
                case "kill" where onLeader: consider("killed", cause, rank: 3)
                case "pause" where onLeader: consider("paused", cause, rank: 3)
                case "restart" where onLeader: consider("restarted", cause, rank: 3)
                case "isolate" where onLeader: consider("isolated", cause, rank: 3)
                case "partition": consider("partitioned", cause, rank: 2)
                case "transfer": consider("transferred", cause, rank: 3)
                case "scale-down" where onLeader, "remove" where onLeader, "replace" where onLeader: consider("removed", cause, rank: 3)
                default: break
                }
            } else if e.node == current {
                switch e.category {
                case "node-died": consider("died", nil, rank: 1)
                case "node-down": consider(e.message.contains("paused") ? "paused" : "down", nil, rank: 1)
                case "leader-lost": consider("lost", nil, rank: 0)
                default: break
                }
            }
        }
    }

    /// The term an election event names: `n2 elected leader, term 3 (0.20 s)` → 3.
    static func term(in message: String) -> UInt64? {
        guard let r = message.range(of: "term ") else { return nil }
        return UInt64(message[r.upperBound...].prefix { $0.isNumber })
    }

    /// The overlay's lines, newest reign first: `term 5  n2  20:02:52 → 20:03:10  18.0s  killed: kill n2 (key k)`.
    public func lines(now: Date, clock: (Date) -> String) -> [String] {
        guard !reigns.isEmpty else {
            return ["No leader seen yet: the record starts with the first leader the console sees."]
        }
        let idWidth = max(6, reigns.map(\.leader.count).max() ?? 2)
        let termWidth = max(4, reigns.map { "\($0.term)".count }.max() ?? 1)
        let header = "TERM".padding(toLength: termWidth, withPad: " ", startingAt: 0) + "  " + "LEADER".padding(toLength: idWidth, withPad: " ", startingAt: 0)
            + "  FROM      UNTIL     LED     ENDED"
        let rows = reigns.reversed().map { r -> String in
            let until = r.until.map(clock) ?? "now     "
            let led = formatAge(max(0, (r.until ?? now).timeIntervalSince(r.from)))
            let ended = r.end.map { word in r.cause.map { "\(word): \($0)" } ?? word } ?? "leads"
            return "\(r.term)".padding(toLength: termWidth, withPad: " ", startingAt: 0) + "  " + r.leader.padding(toLength: idWidth, withPad: " ", startingAt: 0)
                + "  \(clock(r.from))  \(until)  " + led.padding(toLength: 6, withPad: " ", startingAt: 0) + "  " + ended
        }
        return [header] + rows
    }
}
