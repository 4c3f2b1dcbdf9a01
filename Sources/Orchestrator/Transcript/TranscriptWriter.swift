import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Appends transcript lines to a file, one `write` per line, so a killed recorder loses at
/// most the line it was writing. A write error (a full disk) is kept, not thrown at the caller:
/// the session goes on and `failure` says what was lost.
public final class TranscriptWriter: Sendable {
    public let path: String
    /// When the session started: every line's `t` counts from here.
    public let startedAt: Date
    private let fd: Int32
    private let state = Mutex<State>(State())

    private struct State {
        var failure: String?
        var lines = 0
        var closed = false
    }

    private init(path: String, fd: Int32, startedAt: Date) {
        self.path = path
        self.fd = fd
        self.startedAt = startedAt
    }

    /// Starts a new transcript at `path` (replacing any file there) with `header`.
    public static func create(_ path: String, header: TranscriptHeader) throws -> TranscriptWriter {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw TranscriptError("cannot write \(path): \(String(cString: strerror(errno)))") }
        let w = TranscriptWriter(path: path, fd: fd, startedAt: header.startedAt ?? Date())
        try w.writeNow(.header(header))
        return w
    }

    /// Appends to the transcript at `path`, or starts one with `header()` when there is none.
    /// Lines appended later count `t` from the existing header's start.
    public static func append(_ path: String, header: () throws -> TranscriptHeader) throws -> TranscriptWriter {
        guard let data = FileManager.default.contents(atPath: path), !data.isEmpty else { return try create(path, header: try header()) }
        let first = data.prefix { $0 != UInt8(ascii: "\n") }
        let existing = try Transcript.parse(Data(first) + Data("\n".utf8), file: path).header
        guard let started = existing.startedAt else { throw TranscriptError("\(path):1: \"started\" is not an RFC 3339 time") }
        let fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard fd >= 0 else { throw TranscriptError("cannot append to \(path): \(String(cString: strerror(errno)))") }
        // A recorder killed mid-line left no newline: start on a fresh line so ours stay readable.
        if data.last != UInt8(ascii: "\n") { _ = "\n".withCString { Glibc.write(fd, $0, 1) } }
        return TranscriptWriter(path: path, fd: fd, startedAt: started)
    }

    deinit { close(fd) }

    /// Seconds since the session started.
    public func t(_ at: Date = Date()) -> Double { (max(0, at.timeIntervalSince(startedAt)) * 1000).rounded() / 1000 }

    /// Writes one line; a failure is remembered in `failure`.
    public func write(_ line: TranscriptLine) {
        do { try writeNow(line) } catch {
            state.withLock { if $0.failure == nil { $0.failure = "\(error)" } }
        }
    }

    /// Why lines were lost, if they were.
    public var failure: String? { state.withLock { $0.failure } }
    public var linesWritten: Int { state.withLock { $0.lines } }

    private func writeNow(_ line: TranscriptLine) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(line)
        data.append(UInt8(ascii: "\n"))
        try state.withLock { s in
            guard !s.closed else { return }
            try data.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw TranscriptError("writing \(path): \(String(cString: strerror(errno)))")
                    }
                    offset += n
                }
            }
            s.lines += 1
        }
    }

    /// Makes what was written durable.
    public func sync() { _ = fsync(fd) }
}
