import Logging
import Synchronization

/// Collects every log record of the loggers it makes, so tests can assert on what an
/// operator would have read.
final class LogCapture: Sendable {
    struct Record: Sendable, CustomStringConvertible {
        var level: Logger.Level
        var message: String
        var label: String
        var description: String { "[\(label)] \(level): \(message)" }
    }

    private let records = Mutex<[Record]>([])

    func logger(_ label: String) -> Logger {
        Logger(label: label) { label in CapturingLogHandler(label: label, capture: self) }
    }

    func append(_ record: Record) {
        records.withLock { $0.append(record) }
    }

    var all: [Record] { records.withLock { $0 } }

    /// Records of `label`'s logger at `level` whose message contains every fragment.
    func matching(_ label: String, _ level: Logger.Level, _ fragments: String...) -> [Record] {
        all.filter { r in r.label == label && r.level == level && fragments.allSatisfy { r.message.contains($0) } }
    }
}

struct CapturingLogHandler: LogHandler {
    let label: String
    let capture: LogCapture
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?
    var logLevel: Logger.Level = .debug

    func log(event: LogEvent) {
        capture.append(.init(level: event.level, message: event.message.description, label: label))
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
}
