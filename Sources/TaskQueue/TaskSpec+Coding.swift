import BinaryCoding

extension TaskSpec {
    /// Canonical binary form: arguments sorted by key, so equal specs encode to equal bytes.
    func encode(into w: inout ByteWriter) {
        w.write(kind)
        w.write(varint: args.count)
        if args.count == 1, let (key, value) = args.first {
            // The common case needs no sorted copy of the keys.
            w.write(key)
            w.write(value)
        } else {
            for (key, value) in args.sorted(by: { $0.key < $1.key }) {
                w.write(key)
                w.write(value)
            }
        }
        w.write(optional: target)
        // A spec built in code may carry maxAttempts < 1; it encodes as 0, which decode rejects.
        w.write(varint: UInt64(clamping: maxAttempts))
        if let timeoutMs {
            w.write(true)
            w.write(varint: timeoutMs)
        } else {
            w.write(false)
        }
    }

    /// Reads the canonical form; rejects argument keys out of order or repeated, and maxAttempts < 1.
    static func decode(from r: inout ByteReader) throws(DecodingError) -> TaskSpec {
        let kind = try r.readString()
        let count = try r.readCount()
        var args: [String: String] = [:]
        var previous: String?
        for _ in 0..<count {
            let keyOffset = r.offset
            let key = try r.readString()
            let value = try r.readString()
            if let previous, !(previous < key) {
                throw .invalid(offset: keyOffset, reason: "argument keys must be strictly ascending")
            }
            args[key] = value
            previous = key
        }
        let target = try r.readOptionalString()
        let attemptsOffset = r.offset
        let maxAttempts = try r.readInt()
        guard maxAttempts >= 1 else {
            throw .invalid(offset: attemptsOffset, reason: "maxAttempts must be at least 1")
        }
        let timeoutMs: UInt64? = try r.readBool() ? try r.readVarint() : nil
        return TaskSpec(kind: kind, args: args, target: target, maxAttempts: maxAttempts, timeoutMs: timeoutMs)
    }
}
