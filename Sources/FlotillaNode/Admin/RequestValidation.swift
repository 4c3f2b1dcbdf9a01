import FlotillaAPI

/// Checks on request bodies that decode but must not reach the log: each returns why a
/// value is unacceptable, or nil.
enum RequestValidation {
    static let maxAttempts = 1...100
    /// A week.
    static let timeoutMs: ClosedRange<UInt64> = 1...604_800_000
    static let maxKeyLength = 1024
    static let slots = 0...1024

    static func problem(_ s: TaskSubmission) -> String? {
        if let n = s.maxAttempts, !maxAttempts.contains(n) {
            return "maxAttempts must be between \(maxAttempts.lowerBound) and \(maxAttempts.upperBound) (got \(n))"
        }
        if let t = s.timeoutMs, !timeoutMs.contains(t) {
            return "timeoutMs must be between \(timeoutMs.lowerBound) and \(timeoutMs.upperBound) (got \(t))"
        }
        if let key = s.key, key.isEmpty || key.utf8.count > maxKeyLength {
            return "key must be 1 to \(maxKeyLength) bytes"
        }
        return nil
    }

    /// A member's id and addresses, as a join or a bootstrap names them.
    static func problem(id: String, raftAddress: String, adminAddress: String, slots: Int?) -> String? {
        if id.isEmpty || id.count > 64 || id.contains(where: { !($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) {
            return "node id \"\(id.prefix(64))\" must be 1 to 64 letters, digits, - or _"
        }
        for (name, value) in [("raftAddress", raftAddress), ("adminAddress", adminAddress)] {
            if let why = addressProblem(value) { return "\(name) \(why)" }
        }
        if let slots, !self.slots.contains(slots) { return "slots must be between 0 and \(self.slots.upperBound) (got \(slots))" }
        return nil
    }

    /// HOST:PORT with a port in 1...65535 and no spaces or `=` (the address is stored as `raft=… admin=…`).
    static func addressProblem(_ address: String) -> String? {
        guard let colon = address.lastIndex(of: ":"), colon != address.startIndex,
              let port = Int(address[address.index(after: colon)...]), (1...65535).contains(port) else {
            return "must be HOST:PORT with a port from 1 to 65535 (got \"\(address.prefix(80))\")"
        }
        if address.contains(where: { $0.isWhitespace || $0 == "=" }) || address.count > 255 {
            return "must be HOST:PORT without spaces or '=' (got \"\(address.prefix(80))\")"
        }
        return nil
    }
}
