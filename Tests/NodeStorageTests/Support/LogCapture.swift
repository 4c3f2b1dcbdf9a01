import Logging
import Synchronization

/// Collects what a `Logger` was told, so tests can check that a warning named a file.
final class LogCapture: Sendable {
    struct Line: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: Logger.Metadata
    }

    private let lines = Mutex<[Line]>([])

    var logger: Logger {
        Logger(label: "NodeStorageTests") { _ in Handler(capture: self) }
    }

    var all: [Line] { lines.withLock { $0 } }

    func at(_ level: Logger.Level) -> [Line] { all.filter { $0.level == level } }

    fileprivate func append(_ line: Line) { lines.withLock { $0.append(line) } }

    struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        var metadataProvider: Logger.MetadataProvider?

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            capture.append(Line(level: event.level, message: event.message.description,
                                metadata: metadata.merging(event.metadata ?? [:]) { $1 }))
        }
    }
}
