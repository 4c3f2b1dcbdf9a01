import Foundation

/// The node a disk or clock fault lands on: one node, whichever leads when it runs, or all.
public enum NodeTarget: Sendable, Hashable, CustomStringConvertible {
    case node(String)
    case leader
    case all

    /// Reads the text as operators type it, or refuses it saying what it should look like.
    public init(parsing text: String) throws {
        switch text {
        case "leader": self = .leader
        case "all": self = .all
        case let id where Self.isNodeID(id): self = .node(id)
        default: throw AmountError.expected("a node id, leader or all", got: text)
        }
    }

    /// `text` when it can name a node, else a refusal saying so.
    static func nodeID(_ text: String) throws -> String {
        guard isNodeID(text) else { throw AmountError.expected("a node id", got: text) }
        return text
    }

    /// A word that can name a node: letters, digits, `-` and `_`.
    static func isNodeID(_ s: String) -> Bool {
        !s.isEmpty && s.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }
    }

    public var description: String {
        switch self {
        case .node(let id): id
        case .leader: "leader"
        case .all: "all"
        }
    }
}

extension NodeTarget: TypedWord {}
