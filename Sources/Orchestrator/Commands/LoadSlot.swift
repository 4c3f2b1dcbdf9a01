import Foundation

/// The load a face runs: `load on` starts a generator with the command's plan (stopping the one
/// before), `load off` stops it. Every generator started is kept, so a replay can check all of
/// their histories at the end.
public actor LoadSlot {
    /// The engine's way to write and read a load's keys.
    let client: any LoadClient
    /// The load started last (running or stopped).
    public private(set) var current: LoadGenerator?
    /// Every load started, oldest first.
    public private(set) var all: [LoadGenerator] = []
    private var observer: (@Sendable (LoadGenerator.Operation) -> Void)?

    public init(client: any LoadClient) { self.client = client }

    public init(engine: any Engine) { self.client = engine.loadClient() }

    /// Hands every operation of every generator to `f` (a transcript subscribes here).
    public func onOperation(_ f: @escaping @Sendable (LoadGenerator.Operation) -> Void) { observer = f }

    /// Stops the running load, if any, and starts one with `plan`.
    public func start(_ plan: LoadPlan) async throws -> LoadGenerator {
        await current?.stop()
        let load = LoadGenerator(client: client, rate: plan.rate, submission: plan.submission, readEvery: plan.readEvery)
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
