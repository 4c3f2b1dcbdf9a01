/// One client operation as the client saw it: when it was called, when (if ever) it returned,
/// and what came back. Times are nanoseconds on one clock shared by every client.
public struct HistoryOperation: Hashable, Sendable {
    /// What the operation asked for.
    public enum Kind: Hashable, Sendable {
        /// Submit a task under an idempotency key; a resubmit of the same key is the same task.
        case add(key: String)
        /// Read the task table: the keys it held.
        case read(keys: Set<String>)
        /// Write `value` to a key-value store's `key` (a register per key; the last write wins).
        case put(key: String, value: String)
        /// Read a key-value store's `key`: the value it held, nil when the key was absent.
        case get(key: String, value: String?)
    }

    /// What the client learned about the operation's effect.
    public enum Outcome: Hashable, Sendable {
        /// It took effect, and `ret` is when the client heard so.
        case ok
        /// It definitely had no effect; the checker leaves it out.
        case fail
        /// It may or may not have taken effect, at any time after its call.
        case unknown
    }

    /// The client (a lane, one process) that issued the operation.
    public var client: Int
    /// When the client called it.
    public var call: Int64
    /// When it returned; nil when it never did.
    public var ret: Int64?
    public var kind: Kind
    public var outcome: Outcome
    /// An add's place in the store's own order, when the client learned it (a task's id number:
    /// t-42 is 42). Reads that see only the newest part of a large table are scoped by it.
    public var position: Int?
    /// A read's scope: it saw every key whose add has a `position` at least this, and says
    /// nothing of the others (they may have been left out of its page, or removed by retention).
    /// nil: it saw every key the store held.
    public var from: Int?

    public init(client: Int, call: Int64, ret: Int64?, kind: Kind, outcome: Outcome = .ok, position: Int? = nil, from: Int? = nil) {
        self.client = client
        self.call = call
        self.ret = ret
        self.kind = kind
        self.outcome = outcome
        self.position = position
        self.from = from
    }

    /// By when the operation must have taken effect: its return when it completed, nil (no bound)
    /// when it never returned or its outcome is unknown.
    public var deadline: Int64? { outcome == .unknown ? nil : ret }
}
