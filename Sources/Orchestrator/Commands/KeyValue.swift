import ArgumentParser

/// One `KEY=VALUE` word, as a repeatable CLI option (`--arg ms=100`) takes it.
public struct KeyValue: Sendable, Hashable, ExpressibleByArgument {
    public var key: String
    public var value: String

    /// Reads the text as operators type it, or refuses it saying what it should look like.
    public init(parsing word: String) throws {
        let pair = try KeyValueList.pair(word)
        key = pair.key
        value = pair.value
    }

    public init?(argument: String) { try? self.init(parsing: argument) }
}
