import Logging
import NIOCore
import NIOPosix
@testable import PeerTransport
import RaftCore
import Synchronization
import Testing
import TestSupport

/// Values appended from the transport's event loop and read by the test.
final class Recorder<Value: Sendable>: Sendable {
    private let values = Mutex<[Value]>([])
    func append(_ value: Value) { values.withLock { $0.append(value) } }
    var all: [Value] { values.withLock { $0 } }
    var count: Int { values.withLock { $0.count } }
    func removeAll() { values.withLock { $0.removeAll() } }
}

/// The cluster secret every test node holds unless a test changes it.
let testSecret = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"

/// One transport on 127.0.0.1 with an ephemeral port, recording what it delivers.
final class TestNode: Sendable {
    let id: String
    let transport: PeerTransport
    let received = Recorder<Message>()
    let peersDown = Recorder<String>()

    init(_ id: String, group: any EventLoopGroup, logs: LogCapture, port: Int = 0,
         configure: (inout TransportConfig) -> Void = { _ in }) {
        var config = TransportConfig(clusterID: "test-cluster", nodeID: id, clusterSecret: testSecret, listenPort: port, randomSeed: 7)
        configure(&config)
        self.id = id
        let received = self.received
        let peersDown = self.peersDown
        transport = PeerTransport(config: config, group: group, logger: logs.logger(id),
                                  onMessage: { received.append($0) },
                                  onPeerDown: { peersDown.append($0) })
    }

    var address: String { "127.0.0.1:\(transport.boundPort)" }

    func stats(_ peer: String) -> PeerStats { transport.stats()[peer] ?? PeerStats() }

    /// Payload markers (heartbeat contexts) of the messages received from `peer`, in arrival order.
    func markers(from peer: String) -> [UInt64] {
        received.all.filter { $0.from == peer }.compactMap {
            if case .heartbeat(_, let context) = $0.body { context } else { nil }
        }
    }

    func beat(to peer: String, _ marker: UInt64) -> Message {
        Message(from: id, to: peer, term: 1, body: .heartbeat(commit: marker, context: marker))
    }

    func send(to peer: String, _ markers: some Sequence<UInt64>) {
        transport.send(markers.map { beat(to: peer, $0) })
    }
}

/// Starts transports with the given ids, introduces them to each other, runs `body`, and
/// shuts everything down whether or not `body` threw.
func withNodes(_ ids: [String], logs: LogCapture = LogCapture(), connect: Bool = true,
               configure: (String, inout TransportConfig) -> Void = { _, _ in },
               _ body: ([TestNode], any EventLoopGroup) async throws -> Void) async throws {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
    let nodes = ids.map { id in TestNode(id, group: group, logs: logs) { configure(id, &$0) } }
    var failure: (any Error)?
    do {
        for node in nodes { try await node.transport.start() }
        let book = Dictionary(uniqueKeysWithValues: nodes.map { ($0.id, $0.address) })
        if connect {
            for node in nodes { node.transport.setPeers(book) }
            for a in nodes {
                for b in nodes where a !== b {
                    try await eventually("\(a.id) connected to \(b.id)") { a.stats(b.id).connected }
                }
            }
        }
        try await body(nodes, group)
    } catch {
        failure = error
    }
    for node in nodes { await node.transport.shutdown() }
    try await group.shutdownGracefully()
    if let failure { throw failure }
}
