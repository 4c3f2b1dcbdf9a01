import Foundation

/// The load a face runs: `load on` starts a generator with the command's plan (stopping the one
/// before), `load off` stops it. Every generator started is kept, so a replay can check all of
/// their histories at the end.
public actor LoadSlot {
    /// Flotilla's control plane the loads submit through; nil on an engine without tasks.
    let control: ClusterControl?
    /// The load started last (running or stopped).
    public private(set) var current: LoadGenerator?
    /// Every load started, oldest first.
    public private(set) var all: [LoadGenerator] = []
    private var observer: (@Sendable (LoadGenerator.Operation) -> Void)?

    public init(control: ClusterControl?) { self.control = control }

    /// Hands every operation of every generator to `f` (a transcript subscribes here).
    public func onOperation(_ f: @escaping @Sendable (LoadGenerator.Operation) -> Void) { observer = f }

    /// Stops the running load, if any, and starts one with `plan`.
    public func start(_ plan: LoadPlan) async throws -> LoadGenerator {
        guard let control else { throw OrchestratorError("a load submits tasks: this engine has no task queue") }
        await current?.stop()
        let load = LoadGenerator(control: control, rate: plan.rate, submission: plan.submission, readEvery: plan.readEvery)
        if let observer { await load.onOperation(observer) }
        await load.start(duration: plan.duration?.duration)
        current = load
        all.append(load)
        return load
    }

    /// Stops the running load; returns it (nil: none ran).
    @discardableResult
    public func stop() async -> LoadGenerator? {
        guard let load = current else { return nil }
        await load.stop()
        return load
    }

    /// Whether a load is submitting now.
    public var active: Bool {
        get async { await current?.active ?? false }
    }
}
