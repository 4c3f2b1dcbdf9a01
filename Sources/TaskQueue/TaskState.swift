import BinaryCoding

/// Where a task is in its life. Final states never change again.
public enum TaskState: String, Sendable, CaseIterable, Codable {
    case queued
    case assigned
    case running
    case succeeded
    case failed
    case cancelled
    case timedOut = "timed-out"

    /// True for the states a task never leaves: succeeded, failed, cancelled, timed-out.
    public var isFinal: Bool {
        switch self {
        case .queued, .assigned, .running: false
        case .succeeded, .failed, .cancelled, .timedOut: true
        }
    }

    /// True while a node holds the task (assigned or running): it counts toward that node's load.
    var isActive: Bool { self == .assigned || self == .running }

    /// The stable wire code of this state in snapshots; also its index in per-state counters.
    var code: Int {
        switch self {
        case .queued: 0
        case .assigned: 1
        case .running: 2
        case .succeeded: 3
        case .failed: 4
        case .cancelled: 5
        case .timedOut: 6
        }
    }

    init?(code: UInt8) {
        switch code {
        case 0: self = .queued
        case 1: self = .assigned
        case 2: self = .running
        case 3: self = .succeeded
        case 4: self = .failed
        case 5: self = .cancelled
        case 6: self = .timedOut
        default: return nil
        }
    }

    static func decode(from r: inout ByteReader) throws(DecodingError) -> TaskState {
        let start = r.offset
        let raw = try r.readByte()
        guard let state = TaskState(code: raw) else {
            throw .unknownTag(offset: start, tag: raw, type: "task state")
        }
        return state
    }
}
