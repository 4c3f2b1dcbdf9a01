import Foundation

/// `bench failover` for one engine: a temporary cluster of that engine (on loopback, or each
/// member a host of a new namespace lab), the failover benchmark for each fault in turn, and
/// everything it made removed afterwards, whatever happened. With a lab, partition is the
/// same nftables cut for either engine.
public struct FailoverRun: Sendable {
    public enum EngineKind: String, Sendable, CaseIterable {
        case flotilla, etcd
    }

    public var engine: EngineKind
    public var faults: [FailoverBenchmark.Fault]
    public var nodes: Int
    public var trials: Int
    public var rate: Double
    /// After the last fault, how long the idle cluster is watched for spurious elections.
    public var idle: Duration
    /// The base election timeout (Flotilla's `--election-ms`; etcd's `--election-timeout`, with
    /// a heartbeat a tenth of it); nil keeps each engine's default.
    public var electionMs: Int?
    public var netns: Bool

    public init(engine: EngineKind, faults: [FailoverBenchmark.Fault], nodes: Int = 3, trials: Int, rate: Double = 50,
                idle: Duration = .zero, electionMs: Int? = nil, netns: Bool = false) {
        self.engine = engine
        self.faults = faults
        self.nodes = nodes
        self.trials = trials
        self.rate = rate
        self.idle = idle
        self.electionMs = electionMs
        self.netns = netns
    }

    /// Why this run cannot be done here, in one line, before anything is started.
    public func refusal() async -> String? {
        if engine == .etcd, EtcdLocalCluster.etcdOnPath() == nil { return "no etcd on PATH: install it (Debian: apt-get install etcd-server)" }
        if netns, let why = await NetworkTool.unavailableReason() { return "--net netns: \(why)" }
        if engine == .etcd, !netns, faults.contains(.partition) { return EtcdEngine.needsNetns("partition (bench failover)") }
        return nil
    }

    /// Runs every fault on a fresh cluster; the results in fault order.
    public func run(progress: @escaping @Sendable (String) -> Void = { _ in }) async throws -> [FailoverBenchmark.Result] {
        if let reason = await refusal() { throw OrchestratorError(reason) }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-failover-\(engine.rawValue)-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let prefix = engine == .flotilla ? "n" : "e"
        var lab: NetnsLab?
        if netns {
            let planned = try await NetnsLab.plan(members: (1...nodes).map { "\(prefix)\($0)" })
            try await planned.build()
            lab = planned
        }
        do {
            let results = try await engine == .flotilla ? runFlotilla(directory, lab, progress) : runEtcd(directory, lab, progress)
            try await lab?.teardown()
            return results
        } catch {
            try? await lab?.teardown()
            throw error
        }
    }

    private func benchmarks() -> [FailoverBenchmark] {
        faults.enumerated().map { i, f in
            FailoverBenchmark(fault: f, trials: trials, loadRate: rate, idle: i == faults.count - 1 ? idle : .zero)
        }
    }

    private func runFlotilla(_ directory: String, _ lab: NetnsLab?, _ progress: @escaping @Sendable (String) -> Void) async throws -> [FailoverBenchmark.Result] {
        let launcher = Launcher(directory: directory)
        var args = ["--slots", "0", "--log-level", "warning"]
        if let electionMs { args += ["--election-ms", "\(electionMs)"] }
        let spec = try launcher.create(nodes: nodes, nodeArgs: args, network: lab)
        let control: ClusterControl
        do {
            for n in spec.nodes { try launcher.start(n, spec: spec) }
            control = ClusterControl(client: try ClusterClient.local(launcher))
        } catch {
            for n in spec.nodes { _ = await launcher.stop(n) }
            throw error
        }
        var results: [FailoverBenchmark.Result] = []
        var failure: (any Error)?
        let (_, ok) = await control.client.wait(for: .seconds(20)) { $0.leader != nil }
        if !ok { failure = OrchestratorError("flotilla elected no leader within 20 s") }
        if ok {
            do {
                for b in benchmarks() { results.append(try await b.run(FlotillaEngine(control: control), write: .flotilla(control), progress: progress)) }
            } catch {
                failure = error
            }
        }
        for n in (try? launcher.load().nodes) ?? spec.nodes { _ = await launcher.stop(n) }
        await control.client.shutdown()
        if let failure { throw failure }
        return results
    }

    private func runEtcd(_ directory: String, _ lab: NetnsLab?, _ progress: @escaping @Sendable (String) -> Void) async throws -> [FailoverBenchmark.Result] {
        var args: [String] = []
        if let electionMs { args += ["--election-timeout", "\(electionMs)", "--heartbeat-interval", "\(max(1, electionMs / 10))"] }
        let etcd = try await EtcdEngine.launch(members: nodes, in: directory, memberArgs: args, network: lab, disks: false)
        var results: [FailoverBenchmark.Result] = []
        do {
            for b in benchmarks() { results.append(try await b.run(etcd, write: .etcd(etcd), progress: progress)) }
        } catch {
            await etcd.tearDown(removing: true)
            throw error
        }
        await etcd.tearDown(removing: true)
        return results
    }
}
