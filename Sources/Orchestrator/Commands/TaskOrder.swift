import FlotillaAPI
import Foundation

/// What `submit` asks for: a kind, its arguments, how many, and where.
public struct TaskOrder: Sendable, Hashable, Codable {
    public var kind: String
    public var args: KeyValueList
    public var count: Int
    /// Run only on this node.
    public var target: String?
    /// The idempotency key (with a count above 1, each task gets `KEY-i`).
    public var key: String?
    public var maxAttempts: Int?

    public init(kind: String, args: KeyValueList = KeyValueList(), count: Int = 1, target: String? = nil, key: String? = nil,
                maxAttempts: Int? = nil) {
        self.kind = kind
        self.args = args
        self.count = count
        self.target = target
        self.key = key
        self.maxAttempts = maxAttempts
    }

    public var submission: TaskSubmission {
        TaskSubmission(kind: kind, args: args.values, key: key, target: target, maxAttempts: maxAttempts)
    }
}
