/// Where a task is in its life, as the API shows it.
public enum TaskState: OpenEnum, CodingKeyRepresentable {
    case queued
    case assigned
    case running
    case succeeded
    case failed
    case cancelled
    case timedOut
    case unknown(String)

    public static let known: [TaskState] = [.queued, .assigned, .running, .succeeded, .failed, .cancelled, .timedOut]

    public var rawValue: String {
        switch self {
        case .queued: "queued"
        case .assigned: "assigned"
        case .running: "running"
        case .succeeded: "succeeded"
        case .failed: "failed"
        case .cancelled: "cancelled"
        case .timedOut: "timed-out"
        case .unknown(let raw): raw
        }
    }

    /// True for the states a task never leaves: succeeded, failed, cancelled, timed-out.
    public var isFinal: Bool {
        switch self {
        case .succeeded, .failed, .cancelled, .timedOut: true
        case .queued, .assigned, .running, .unknown: false
        }
    }

    /// Lets `[TaskState: Int]` encode as a JSON object keyed by the raw values, as `[String: Int]` does.
    public var codingKey: any CodingKey { WireKey(rawValue) }

    public init?<T: CodingKey>(codingKey: T) {
        self = .named(codingKey.stringValue)
    }
}
