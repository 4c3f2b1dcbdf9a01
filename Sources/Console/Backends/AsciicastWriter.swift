import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Records the console's screen as an asciicast v2 file: a header line, then `[t, "o", text]`
/// for output, `[t, "r", "WxH"]` on resize and `[t, "m", label]` at each operator action.
/// Each event is one write, so the file stays playable if the console is killed.
public final class AsciicastWriter {
    let fd: Int32
    let started: Date
    let renderer: AnsiRenderer
    var previous: Canvas?
    var size: (Int, Int)
    /// Event times never go backwards, as players expect.
    var lastT = 0.0
    public private(set) var failure: String?

    public init(path: String, width: Int, height: Int, renderer: AnsiRenderer, title: String = "flotilla console", started: Date = Date()) throws {
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw CastError("cannot write \(path): \(String(cString: strerror(errno)))") }
        self.started = started
        self.renderer = renderer
        size = (width, height)
        struct Header: Encodable {
            var version = 2
            var width: Int
            var height: Int
            var timestamp: Int
            var title: String
            var env: [String: String]
        }
        let env = ["TERM": ProcessInfo.processInfo.environment["TERM"] ?? "xterm-256color", "SHELL": "/bin/sh"]
        write(json(Header(width: width, height: height, timestamp: Int(started.timeIntervalSince1970), title: title, env: env)))
    }

    deinit { close(fd) }

    /// Records what changed on screen since the last frame.
    public func present(_ canvas: Canvas, at: Date = Date()) {
        if (canvas.width, canvas.height) != size {
            size = (canvas.width, canvas.height)
            event(at, "r", "\(canvas.width)x\(canvas.height)")
            previous = nil
        }
        let text = renderer.render(canvas, from: previous)
        previous = canvas
        if !text.isEmpty { event(at, "o", text) }
    }

    /// A marker players can jump to, labelled with the operator action.
    public func marker(_ label: String, at: Date = Date()) { event(at, "m", label) }

    func event(_ at: Date, _ code: String, _ data: String) {
        let t = max(lastT, (max(0, at.timeIntervalSince(started)) * 1_000_000).rounded() / 1_000_000)
        lastT = t
        write("[\(t), \(json(code)), \(json(data))]")
    }

    func json<T: Encodable>(_ v: T) -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? e.encode(v)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }

    func write(_ line: String) {
        var bytes = Array((line + "\n").utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                failure = failure ?? String(cString: strerror(errno))
                return
            }
            offset += n
        }
    }
}

public struct CastError: Error, CustomStringConvertible {
    public var description: String
    init(_ d: String) { description = d }
}
