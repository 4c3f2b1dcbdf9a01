import Synchronization

/// Lets one child start at a time, first come first served, so the descriptors one start has
/// checked are free are not taken by another start before its child exists. Held only from that
/// check until the child is running (a millisecond or so), never while a child runs.
actor StartGate {
    static let shared = StartGate()

    private var held = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    /// One start's turn through the gate; leaving more than once leaves once.
    final class Pass: Sendable {
        private let inside = Mutex(true)
        private let gate: StartGate

        init(_ gate: StartGate) { self.gate = gate }

        func leave() async {
            let was = inside.withLock { inside in
                defer { inside = false }
                return inside
            }
            if was { await gate.leave() }
        }
    }

    /// Waits for the gate and goes in.
    func enter() async -> Pass {
        if held {
            await withCheckedContinuation { waiting.append($0) }
        } else {
            held = true
        }
        return Pass(self)
    }

    private func leave() {
        if waiting.isEmpty { held = false } else { waiting.removeFirst().resume() }
    }
}
