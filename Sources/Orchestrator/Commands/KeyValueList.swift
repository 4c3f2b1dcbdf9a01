import Foundation

/// `KEY=VALUE` words (a task's arguments): every word must be one, with a key, and no key twice;
/// a bad word is refused by name, never dropped.
public struct KeyValueList: Sendable, Hashable, Codable, CustomStringConvertible {
    public var values: [String: String]

    public init(_ values: [String: String] = [:]) { self.values = values }

    /// What a refusal says the text should look like.
    public static let form = "KEY=VALUE"

    /// Reads the text as operators type it, or refuses it saying what it should look like.
    public init(parsing words: [String]) throws {
        var values: [String: String] = [:]
        for word in words {
            let pair = try Self.pair(word)
            guard values[pair.key] == nil else { throw AmountError("\(pair.key) is given twice ('\(word)')") }
            values[pair.key] = pair.value
        }
        self.values = values
    }

    /// One `KEY=VALUE` word.
    public static func pair(_ word: String) throws -> (key: String, value: String) {
        guard let eq = word.firstIndex(of: "="), eq != word.startIndex, !word[..<eq].contains(" ") else {
            throw AmountError.expected(form, got: word)
        }
        return (String(word[..<eq]), String(word[word.index(after: eq)...]))
    }

    public var isEmpty: Bool { values.isEmpty }

    /// `k=v` words sorted by key.
    public var words: [String] { values.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" } }

    public var description: String { words.joined(separator: " ") }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(values)
    }

    public init(from decoder: any Decoder) throws {
        values = try decoder.singleValueContainer().decode([String: String].self)
    }
}
