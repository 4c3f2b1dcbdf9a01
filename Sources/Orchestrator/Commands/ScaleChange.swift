import Foundation

/// How `scale` changes the membership: add or remove nodes, remove a named one, or grow or
/// shrink to a size, one node at a time.
public enum ScaleChange: Sendable, Hashable, Codable, CustomStringConvertible {
    /// `+K`: spawn, join as learner, catch up, promote, K times.
    case add(count: Int)
    /// `-K`: a learner first, else the newest follower, K times.
    case remove(count: Int)
    /// `-1 N`: that node.
    case removeNode(id: String)
    /// `N`: to this many members.
    case to(size: Int)

    /// What a refusal says the text should look like.
    public static let form = "+K, -K, -1 NODE or a size N"

    /// `+1`, `-2`, `-1 n4`, `5`.
    public init(parsing words: [String]) throws {
        guard let first = words.first, words.count <= 2 else { throw AmountError.expected(Self.form, got: words.joined(separator: " ")) }
        let sign = first.first.flatMap { "+-".contains($0) ? $0 : nil }
        guard let n = Int(sign == nil ? first : String(first.dropFirst())), n >= 0 else { throw AmountError.expected(Self.form, got: first) }
        switch sign {
        case "+"?:
            guard n >= 1, words.count == 1 else { throw AmountError.expected(Self.form, got: words.joined(separator: " ")) }
            self = .add(count: n)
        case "-"?:
            guard n >= 1 else { throw AmountError.expected(Self.form, got: first) }
            if words.count == 2 {
                guard n == 1, NodeTarget.isNodeID(words[1]) else { throw AmountError("a named node goes with -1, got '\(words.joined(separator: " "))'") }
                self = .removeNode(id: words[1])
            } else {
                self = .remove(count: n)
            }
        default:
            guard words.count == 1 else { throw AmountError.expected(Self.form, got: words.joined(separator: " ")) }
            guard n >= 1 else { throw AmountError("cannot scale below one node") }
            self = .to(size: n)
        }
    }

    public var description: String {
        switch self {
        case .add(let k): "+\(k)"
        case .remove(let k): "-\(k)"
        case .removeNode(let id): "-1 \(id)"
        case .to(let n): "\(n)"
        }
    }
}
