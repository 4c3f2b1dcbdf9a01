import Foundation
import Logging
import NIOPosix
import NodeCore
import NodeStorage
import PeerTransport
import RaftCore

/// One node's parts wired together from its configuration: the data directory opened and
/// recovered, the peer transport listening, the Raft driver over both, and the admin API's
/// operations over all of them. `FlotillaNodeService.run` serves it; tests drive it in process.
struct NodeRuntime: Sendable {
    let storage: NodeStorage
    let transport: PeerTransport
    let driver: RaftDriver
    let api: NodeAPI
    /// Nothing was on disk: no term, no entries (a node that may still join a cluster).
    let startedEmpty: Bool

    var inbox: Inbox<DriverInput> { driver.inbox }

    /// Opens the storage (on `disk`: the real one, or an in-memory one in tests), starts the
    /// transport and builds the driver; the driver loop is the caller's to run.
    static func open(_ config: NodeConfig, storage options: StorageOptions = StorageOptions(), disk: any StorageDisk = PosixDisk(faults: DiskFaults()),
                     logger: Logger) async throws -> NodeRuntime {
        if let problem = config.problem { throw NodeStartupError(problem) }
        HeapRelease.tuneAllocator
        // 0700: the WAL and snapshots hold every task's arguments.
        try FileManager.default.createDirectory(atPath: config.dataDir, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let (storage, restored): (NodeStorage, PersistentState)
        do {
            (storage, restored) = try NodeStorage.open(directory: config.dataDir, disk: disk, options: options, logger: logger)
        } catch {
            throw NodeStartupError("cannot open the data directory \(config.dataDir): \(error)")
        }
        logger.info("recovered term \(restored.hardState.term), commit \(restored.hardState.commit), \(restored.entries.count) entries after snapshot \(restored.snapshot?.metadata.index ?? 0)")
        let incarnation: UInt64
        do {
            incarnation = try NodeIdentity.loadOrCreate(directory: config.dataDir, disk: disk, fresh: UInt64.random(in: 1...UInt64.max))
        } catch {
            storage.close()
            throw NodeStartupError("cannot read or write the node's identity in \(config.dataDir): \(error)")
        }
        logger.info("incarnation \(Incarnation.text(incarnation))")

        let events = EventLog(node: config.id)
        let metrics = NodeMetrics()
        let inbox = Inbox<DriverInput>()
        var tc = TransportConfig(clusterID: config.clusterID, nodeID: config.id, listenPort: config.raftPort)
        tc.listenHost = config.raftHost
        // Peers prove they hold the admin token; without one they are not authenticated (the transport warns).
        tc.clusterSecret = config.token
        // Who a peer is: its id and the incarnation the membership records for it.
        let known = KnownIncarnations(me: config.id, incarnation: incarnation)
        tc.incarnation = incarnation
        tc.admit = { peer, presented in known.refusal(peer: peer, incarnation: presented) }
        // What founders say of themselves over the Raft port, for a founder check.
        let evidence = FounderEvidence()
        tc.localState = { evidence.own }
        tc.peerState = { peer, bytes in evidence.received(bytes, from: peer) }
        tc.refusedBy = { peer, reason in evidence.refused(by: peer, reason) }
        let transport = PeerTransport(
            config: tc, group: MultiThreadedEventLoopGroup.singleton, logger: logger,
            onMessage: { inbox.push(.message($0)) },
            onPeerDown: { inbox.push(.peerDown($0)) })
        do {
            try await transport.start()
        } catch {
            storage.close()
            throw NodeStartupError("cannot listen for peers on \(config.raftAddress): \(error)")
        }

        let driver: RaftDriver
        let threads = DriverThreads()
        if let priority = config.raftPriority {
            do {
                try await threads.setPriority(priority)
            } catch {
                await transport.shutdown()
                storage.close()
                await threads.shutdown()
                throw error
            }
            logger.info("the Raft loop's threads run at \(priority)")
        }
        do {
            driver = try RaftDriver(config: config, storage: storage, restored: restored, incarnation: incarnation, known: known, evidence: evidence, transport: transport,
                                    localFaults: LocalFaults(disk: disk.injectedFaults),
                                    events: events, metrics: metrics, inbox: inbox, threads: threads, logger: logger)
        } catch {
            await transport.shutdown()
            storage.close()
            await threads.shutdown()
            throw NodeStartupError("cannot start Raft: \(error)")
        }
        let api = NodeAPI(config: config, driver: driver, transport: transport, events: events, metrics: metrics,
                          deadlines: WriteDeadlines(timeout: .milliseconds(config.proposalTimeoutMs)))
        return NodeRuntime(storage: storage, transport: transport, driver: driver, api: api,
                           startedEmpty: restored.isEmpty)
    }

    /// Stops the transport and closes the storage, once the driver loop has ended.
    func close() async {
        await transport.shutdown()
        storage.close()
        await driver.threads.shutdown()
    }
}
