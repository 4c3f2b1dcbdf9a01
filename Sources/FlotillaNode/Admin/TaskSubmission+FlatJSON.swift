import FlotillaAPI

extension TaskSubmission {
    /// The submission in `bytes` when it is in `FlatJSON`'s shape with only this type's fields
    /// and the types `JSONDecoder` would take for them; nil sends the body to `JSONDecoder`.
    init?(flatJSON bytes: UnsafeRawBufferPointer) {
        guard let members = FlatJSON.members(bytes), case let .string(kind)? = members["kind"] else { return nil }
        self.init(kind: kind)
        for (name, value) in members {
            switch (name, value) {
            case ("kind", _): continue
            case (_, .null) where Self.optionalFields.contains(name): continue
            case let ("args", .object(args)): self.args = args
            case let ("key", .string(key)): self.key = key
            case let ("target", .string(target)): self.target = target
            case let ("maxAttempts", .integer(n)): maxAttempts = Int(n)
            case let ("timeoutMs", .integer(n)) where n >= 0: timeoutMs = UInt64(n)
            default: return nil
            }
        }
    }

    private static let optionalFields: Set<String> = ["args", "key", "target", "maxAttempts", "timeoutMs"]
}
