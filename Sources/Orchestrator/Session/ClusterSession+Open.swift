import FlotillaAPI
import Foundation

extension ClusterSession {
    /// A session opened on `target`: what it is over, and what became of the local cluster.
    public struct Opening: Sendable {
        public let session: ClusterSession
        /// The local cluster's directory, if the target is one.
        public let directory: String?
        /// The local cluster ran before the session: the session leaves it running.
        public let wasRunning: Bool
    }

    /// Opens a session on `target`, attaching to it or starting its cluster. With `record`, the
    /// session writes a transcript to its path, under the header `record.header` makes from the
    /// cluster's shape (the engine is filled in). Whatever was started is stopped again when the
    /// opening fails half-way.
    public static func open(_ target: SessionTarget, options: SessionOptions,
                            record: (path: String, header: @Sendable (TranscriptHeader.Cluster) -> TranscriptHeader)? = nil) async throws -> Opening {
        let engine: any Engine
        var cluster: TemporaryCluster?
        var spec: ClusterSpec?
        var directory: String?
        var wasRunning = false
        switch target {
        case .connect(let addresses, let token):
            if let etcd = EtcdEngine.attach(directory: "", connect: addresses) {
                engine = etcd
            } else {
                let client = try await ClusterClient.connect(addresses.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }, token: token)
                engine = FlotillaEngine(control: ClusterControl(client: client))
            }
        case .local(let dir, let nodes, let nodeArgs, let purpose, let leaveRunning):
            if let dir, let etcd = EtcdEngine.attach(directory: dir, connect: nil) {
                engine = etcd
                directory = dir
                wasRunning = true
                break
            }
            let path = dir ?? TemporaryCluster.freshDirectory(purpose)
            let launcher = Launcher(directory: path)
            let s = launcher.exists ? try launcher.load() : try launcher.create(nodes: nodes, nodeArgs: nodeArgs)
            wasRunning = s.nodes.contains { launcher.pid(of: $0) != nil }
            let owned = TemporaryCluster(directory: path, keep: dir != nil) {
                for n in (try? launcher.load().nodes) ?? s.nodes { _ = await launcher.stop(n) }
            }
            do {
                for n in s.nodes { try launcher.start(n, spec: s) }
                engine = FlotillaEngine(control: ClusterControl(client: try ClusterClient.local(launcher)))
            } catch {
                if !wasRunning { _ = await owned.tearDown(failed: true) }
                throw error
            }
            if !wasRunning && !leaveRunning { cluster = owned }
            spec = s
            directory = path
        }
        var recorder: TranscriptRecorder?
        if let record {
            do {
                let first = await engine.snapshot()
                var header = record.header(spec.map { TranscriptHeader.Cluster($0) } ?? TranscriptHeader.Cluster(nodes: first.nodes.count, ids: first.nodes.map(\.id)))
                if engine.kind != "flotilla" { header.engine = engine.kind }
                // A cluster in a namespace lab replays in one.
                header.net = TranscriptHeader.net(of: engine)
                recorder = TranscriptRecorder(writer: try TranscriptWriter.create(record.path, header: header), events: engine.events)
            } catch {
                await engine.shutdown()
                _ = await cluster?.tearDown(failed: true)
                throw error
            }
        }
        return Opening(session: ClusterSession(engine: engine, options: options, recorder: recorder, cluster: cluster),
                       directory: directory, wasRunning: wasRunning)
    }
}
