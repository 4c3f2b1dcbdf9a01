extension DecodingError {
    /// What is wrong and where, in the words of the API's 400s: "missing field members.[0].id".
    var summary: String {
        switch self {
        case let .typeMismatch(_, c): "wrong type at \(Self.place(c.codingPath)): \(c.debugDescription)"
        case let .valueNotFound(_, c): "missing value at \(Self.place(c.codingPath))"
        case let .keyNotFound(k, c): "missing field \(Self.place(c.codingPath + [k]))"
        case let .dataCorrupted(c): c.codingPath.isEmpty ? "not valid JSON" : "bad value at \(Self.place(c.codingPath)): \(c.debugDescription)"
        @unknown default: "\(self)"
        }
    }

    private static func place(_ keys: [any CodingKey]) -> String {
        keys.isEmpty ? "the top level" : keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }
}
