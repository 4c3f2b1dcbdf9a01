import Synchronization

extension AnswerSlots {
    /// A slot held for one answer: given back once, when the body is written or, if it never
    /// is (the connection closed first), when the response is dropped.
    final class Lease: Sendable {
        private let slots: AnswerSlots
        private let ended = Mutex(false)

        init(_ slots: AnswerSlots) { self.slots = slots }

        func end() {
            let first = ended.withLock { e -> Bool in
                defer { e = true }
                return !e
            }
            if first { slots.release() }
        }

        deinit { end() }
    }
}
