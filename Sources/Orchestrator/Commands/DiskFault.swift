import FlotillaAPI
import Foundation

/// What `disk` does to a node's storage.
public enum DiskFault: Sendable, Hashable, Codable {
    /// Every fsync takes this many ms longer.
    case slow(ms: Int)
    /// Writes fail with ENOSPC.
    case full
    /// Neither: the disk is healthy again.
    case ok

    /// What a refusal says the text should look like.
    public static let form = "slow DURATION, full or ok"

    /// `slow 50ms`, `full`, `ok` (and `slow 0` for ok), as the CLI and the console's command line take them.
    public init(parsing words: [String]) throws {
        switch words.first?.lowercased() {
        case "full" where words.count == 1: self = .full
        case "ok" where words.count == 1, "healthy" where words.count == 1, "clear" where words.count == 1: self = .ok
        case "slow":
            guard words.count == 2 else { throw AmountError("slow takes the time added to each fsync, e.g. slow 50ms") }
            let span: TimeSpan
            do { span = try TimeSpan(parsing: words[1]) } catch let error as AmountError { throw error.about("slow") }
            guard span.milliseconds <= FaultSpec.maxFsyncDelayMs else {
                throw AmountError("a slow disk adds between 0 and \(FaultSpec.maxFsyncDelayMs) ms to each fsync, got '\(words[1])'")
            }
            self = span.milliseconds == 0 ? .ok : .slow(ms: span.milliseconds)
        default:
            throw AmountError.expected(Self.form, got: words.joined(separator: " "))
        }
    }

    /// `["slow", "50ms"]`, `["full"]`, `["ok"]`.
    public var wordList: [String] {
        switch self {
        case .slow(let ms): ["slow", TimeSpan(milliseconds: ms).description]
        case .full: ["full"]
        case .ok: ["ok"]
        }
    }

    var words: String { wordList.joined(separator: " ") }

    var args: [String: String] {
        switch self {
        case .slow(let ms): ["fault": "slow", "ms": "\(ms)"]
        case .full: ["fault": "full"]
        case .ok: ["fault": "ok"]
        }
    }
}
