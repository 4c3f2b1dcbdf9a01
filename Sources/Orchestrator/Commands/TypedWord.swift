import ArgumentParser

/// A value an operator types as one word (`250ms`, `10%`, `3x`, `n1->n3`, `leader`): read by
/// `init(parsing:)`, which refuses a bad word saying what it should look like, and written back
/// as `description`. Transcripts store the word, so a recorded command reads as it was typed, and
/// a transcript holding a bad word fails to load with the same refusal.
public protocol TypedWord: CustomStringConvertible, Codable {
    init(parsing text: String) throws
}

extension TypedWord {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { try self.init(parsing: text) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "\(error)"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

extension TypedWord where Self: ExpressibleByArgument {
    public init?(argument: String) { try? self.init(parsing: argument) }
}
