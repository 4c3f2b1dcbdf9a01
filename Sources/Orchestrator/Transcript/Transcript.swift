import Foundation

/// A recorded session: its header and every line after it, in file order.
public struct Transcript: Sendable, Equatable {
    public static let format = "flotilla-transcript"
    /// The newest version this build reads and writes. 2: action lines carry `command`, the
    /// operator command as it was given; version-1 transcripts are still read and replayed.
    public static let version = 2

    public var header: TranscriptHeader
    public var lines: [TranscriptLine]
    /// The last line was cut off mid-write (the recorder was killed): it was left out.
    public var truncatedLastLine = false

    public init(header: TranscriptHeader, lines: [TranscriptLine], truncatedLastLine: Bool = false) {
        self.header = header
        self.lines = lines
        self.truncatedLastLine = truncatedLastLine
    }

    public var actions: [ActionLine] { lines.compactMap { if case .action(let a) = $0 { a } else { nil } } }
    public var events: [EventLine] { lines.compactMap { if case .event(let e) = $0 { e } else { nil } } }
    public var operations: [OperationLine] { lines.compactMap { if case .op(let o) = $0 { o } else { nil } } }
    public var statuses: [StatusLine] { lines.compactMap { if case .status(let s) = $0 { s } else { nil } } }

    /// Reads a transcript file; errors name the line.
    public static func read(_ path: String) throws -> Transcript {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TranscriptError("\(path): cannot read it (does it exist?)")
        }
        return try parse(data, file: path)
    }

    /// Parses JSON Lines. A malformed line is an error naming its number, except a last line
    /// with no newline, which a killed recorder may have left half-written.
    public static func parse(_ data: Data, file: String = "transcript") throws -> Transcript {
        let bytes = [UInt8](data)
        var rows: [ArraySlice<UInt8>] = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        let endsWithNewline = bytes.last == UInt8(ascii: "\n")
        if endsWithNewline { rows.removeLast() }
        guard let first = rows.first, !first.isEmpty else { throw TranscriptError("\(file): empty, not a transcript") }
        let decoder = JSONDecoder()
        let header: TranscriptHeader
        do {
            guard case .header(let h) = try decoder.decode(TranscriptLine.self, from: Data(first)) else {
                throw TranscriptError("\(file):1: the first line is not a header")
            }
            header = h
        } catch let e as TranscriptError {
            throw e
        } catch {
            throw TranscriptError("\(file):1: not a flotilla transcript header (\(describe(error)))")
        }
        guard header.format == format else { throw TranscriptError("\(file):1: format \"\(header.format)\" is not \(format)") }
        guard header.version <= version else {
            throw TranscriptError("\(file):1: transcript version \(header.version) is newer than this flotilla reads (\(version)); upgrade flotilla")
        }
        var out = Transcript(header: header, lines: [])
        for (i, row) in rows.enumerated().dropFirst() {
            if row.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") }) { continue }
            do {
                let line = try decoder.decode(TranscriptLine.self, from: Data(row))
                if case .header = line { throw TranscriptError("\(file):\(i + 1): a second header") }
                guard line.t.isFinite, line.t >= 0 else { throw TranscriptError("\(file):\(i + 1): t must be a number of seconds, 0 or more") }
                out.lines.append(line)
            } catch let e as TranscriptError {
                throw e
            } catch {
                if i == rows.count - 1, !endsWithNewline {
                    out.truncatedLastLine = true
                    break
                }
                throw TranscriptError("\(file):\(i + 1): malformed line (\(describe(error)))")
            }
        }
        return out
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): "missing \"\(key.stringValue)\""
        case DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c):
            "wrong type at \"\(c.codingPath.map(\.stringValue).joined(separator: "."))\""
        case DecodingError.dataCorrupted(let c): c.debugDescription.isEmpty ? "not JSON" : c.debugDescription
        default: "\(error)"
        }
    }

    static func rfc3339(_ d: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: d)
    }

    static func parseRFC3339(_ s: String) -> Date? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: s) { return d }
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: s)
    }
}

/// A transcript that cannot be read or written, with the file and line.
public struct TranscriptError: Error, CustomStringConvertible, Sendable, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
