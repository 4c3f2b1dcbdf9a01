import Foundation

extension Engine {
    /// The emergency stop, one for every engine and every face (the console, `flotilla panic`, a
    /// replayed transcript), built from the engine's own verbs: stops the load (the face's, and
    /// one another process runs here), sets recovery to advise, empties every full disk where
    /// `heal` leaves disks alone (a member the full disk ended starts again), resumes every
    /// paused member and heals the network, verified within `healTimeout`. What it does on the
    /// way is marked as part of the panic, so a replay runs the panic once.
    func panic(loads: LoadSlot, healTimeout: Duration) async -> HealReport {
        events.emit(.action, "PANIC: healing, resuming, stopping load, recovery set to advise", reason: "operator",
                    category: "panic", action: OperatorAction(verb: "panic"))
        intents.update { $0.recover = RecoveryMode.advise.rawValue }
        return await ActionOrigin.$current.withValue("\(ActionOrigin.current) via panic") {
            await loads.stop()
            if let stopped = stopLoadElsewhere() { events.emit(.action, stopped, reason: "panic") }
            if !healEmptiesDisks, supports(.disk(node: .all, fault: .ok)) {
                do {
                    _ = try await disk(.all, .ok)
                } catch {
                    events.emit(.action, "could not empty the disks: \(error)", reason: "panic", ok: false)
                }
            }
            // Each resume reports its own outcome.
            for node in await snapshot().nodes where node.process == .paused { try? await resume(node.id) }
            intents.update { $0.paused = [] }
            return await heal(timeout: healTimeout)
        }
    }
}
