/// A value the Raft loop hands whole to another thread: the loop keeps no reference to it (the
/// box does, and the detached task empties the box), so whatever freeing it costs happens there,
/// whoever drops the box last. For a task table a snapshot replaced (some 5 ms per 100k tasks and
/// 100k remembered keys), the snapshot before it (unmapping 70 MB took some 4 ms) and a
/// received snapshot's chunks.
final class Handover<Value: Sendable>: @unchecked Sendable {
    private var value: Value?

    private init(_ value: consuming Value) {
        self.value = value
    }

    /// Runs `body` on `value` in a detached task, which frees it afterwards.
    static func detach(_ value: consuming Value, priority: TaskPriority, _ body: @escaping @Sendable (Value) -> Void = { _ in }) {
        let box = Handover(value)
        Task.detached(priority: priority) {
            guard let value = box.value.take() else { return }
            body(value)
        }
    }
}
