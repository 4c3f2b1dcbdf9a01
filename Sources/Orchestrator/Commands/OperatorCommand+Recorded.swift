import Foundation

extension OperatorCommand {
    /// The command a version-1 transcript's action line stands for (verb, target, args as
    /// strings). Nothing is defaulted: an amount the line lacks, or one that does not read, is an
    /// error naming it, so a replay never runs something other than what was recorded.
    public init(recorded a: ActionLine) throws {
        func target() throws -> String {
            guard let t = a.target, !t.isEmpty else { throw AmountError("\(a.verb) was recorded without a target") }
            return t
        }
        func arg(_ key: String) throws -> String {
            guard let v = a.args?[key] else { throw AmountError("\(a.verb) was recorded without its \(key)") }
            return v
        }
        func number<T: LosslessStringConvertible>(_ key: String, _: T.Type) throws -> T {
            let text = try arg(key)
            guard let v = T(text) else { throw AmountError("\(a.verb) was recorded with \(key) '\(text)', which is not a number") }
            return v
        }
        func share() throws -> Share {
            let f = try number("fraction", Double.self)
            guard (0...1).contains(f) else { throw AmountError("\(a.verb) was recorded with fraction \(f), outside 0…1") }
            return Share(fraction: f)
        }
        /// The args left once `known` are taken out: a task's own arguments.
        func rest(_ known: Set<String>) -> KeyValueList { KeyValueList((a.args ?? [:]).filter { !known.contains($0.key) }) }

        switch a.verb {
        case "kill": self = .kill(node: try target())
        case "restart": self = .restart(node: try target())
        case "replace": self = .replace(node: try target())
        case "pause": self = .pause(node: try target())
        case "resume": self = .resume(node: try target())
        case "approve": self = .approve(node: try target())
        case "deny": self = .deny(node: try target())
        case "cancel": self = .cancel(task: try target())
        case "partition": self = .partition(shape: try PartitionShape(parsing: try target()))
        case "isolate": self = .partition(shape: .isolate(node: try target()))
        case "heal": self = .heal
        case "panic": self = .panic
        case "transfer": self = .transfer(to: a.target)
        case "scale-up": self = .scale(change: .add(count: 1), purge: false)
        case "scale-down": self = .scale(change: a.target.map { .removeNode(id: $0) } ?? .remove(count: 1), purge: false)
        case "delay":
            self = .delay(links: try LinkTarget(parsing: try target()), delay: TimeSpan(milliseconds: try number("ms", Int.self)),
                          jitter: TimeSpan(milliseconds: try number("jitter", Int.self)))
        case "loss": self = .loss(links: try LinkTarget(parsing: try target()), share: try share())
        case "duplicate": self = .duplicate(links: try LinkTarget(parsing: try target()), share: try share())
        case "reorder": self = .reorder(links: try LinkTarget(parsing: try target()), share: try share())
        case "disk":
            let fault: DiskFault
            switch try arg("fault") {
            case "slow": fault = .slow(ms: try number("ms", Int.self))
            case "full": fault = .full
            case "ok": fault = .ok
            case let other: throw AmountError("disk was recorded with fault '\(other)'; expected slow, full or ok")
            }
            self = .disk(node: try NodeTarget(parsing: try target()), fault: fault)
        case "skew":
            let rate = try number("rate", Double.self)
            self = .skew(node: try NodeTarget(parsing: try target()), rate: try ClockRate(parsing: "\(rate)x"))
        case "submit":
            var order = TaskOrder(kind: try arg("kind"), args: rest(["kind", "count", "target"]))
            if a.args?["count"] != nil { order.count = try number("count", Int.self) }
            order.target = a.args?["target"]
            self = .submit(order: order)
        case "load":
            if try target() == "off" {
                self = .load(plan: nil)
            } else {
                // A load recorded before reads existed, or with none, wrote no readEvery: it read nothing.
                var plan = LoadPlan(rate: try number("rate", Double.self), kind: try arg("kind"), args: rest(["kind", "rate", "readEvery", "duration"]))
                if a.args?["readEvery"] != nil { plan.readEvery = try number("readEvery", Int.self) }
                if let d = a.args?["duration"] { plan.duration = try TimeSpan(parsing: d) }
                self = .load(plan: plan)
            }
        case "recover":
            guard let mode = RecoveryMode(rawValue: try target()) else { throw AmountError("recover was recorded with mode '\(a.target ?? "")'") }
            self = .recover(mode: mode)
        default:
            throw AmountError("unknown action \"\(a.verb)\" (recorded by a newer flotilla?)")
        }
    }
}
