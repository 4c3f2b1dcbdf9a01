import BinaryCoding
import Logging
import NIOCore
import NIOPosix
@testable import PeerTransport
import RaftCore
import Testing
import TestSupport

@Suite struct PeerTransportTests {
    @Test func threeNodesExchangeMessagesInOrder() async throws {
        try await withNodes(["n1", "n2", "n3"]) { nodes, _ in
            for batch in 0..<20 {
                for a in nodes {
                    for b in nodes where a !== b {
                        a.send(to: b.id, UInt64(batch * 10 + 1)...UInt64(batch * 10 + 10))
                    }
                }
            }
            for b in nodes {
                try await eventually("\(b.id) received 400 messages") { b.received.count == 400 }
                for a in nodes where a !== b {
                    #expect(b.markers(from: a.id) == Array(1...200), "\(a.id) -> \(b.id) in order")
                    #expect(b.received.all.allSatisfy { $0.to == b.id })
                    #expect(a.stats(b.id).framesSent == 200)
                    #expect(b.stats(a.id).framesReceived == 200)
                    #expect(b.stats(a.id).inboundConnected)
                }
            }
        }
    }

    @Test func aRestartedPeerIsReconnectedAndQueuedTrafficResumes() async throws {
        let logs = LogCapture()
        try await withNodes(["n1", "n2"], logs: logs) { nodes, group in
            let (n1, n2) = (nodes[0], nodes[1])
            n1.send(to: "n2", [1])
            try await eventually("first message") { n2.markers(from: "n1") == [1] }
            let port = n2.transport.boundPort

            await n2.transport.shutdown()
            try await eventually("n1 sees n2 go away") { n1.peersDown.all.contains("n2") }
            try await eventually("n1's link to n2 is down") { !n1.stats("n2").connected }
            n1.send(to: "n2", [2, 3])  // queued while n2 is away
            try await eventually("queued while disconnected") { n1.stats("n2").queued == 2 }

            let reborn = TestNode("n2", group: group, logs: logs, port: port)
            try await eventually("n2 rebinds its port") {
                // Retrying covers a listener socket the kernel has not released yet.
                try await startNow(reborn.transport)
            }
            reborn.transport.setPeers(["n1": n1.address])
            try await eventually("queued messages reach the restarted n2") { reborn.markers(from: "n1") == [2, 3] }
            reborn.send(to: "n1", [10])
            try await eventually("the restarted n2 reaches n1") { n1.markers(from: "n2") == [10] }
            #expect(n1.stats("n2").connected)
            #expect(n1.stats("n2").reconnects >= 1)
            await reborn.transport.shutdown()
            try await eventually("n1 sees the restarted n2 go away") { n1.peersDown.all.filter { $0 == "n2" }.count >= 2 }
        }
    }

    @Test func aRemovedPeerIsDisconnectedAndNoLongerReachable() async throws {
        let logs = LogCapture()
        try await withNodes(["n1", "n2"], logs: logs) { nodes, _ in
            let (n1, n2) = (nodes[0], nodes[1])
            n1.transport.setPeers([:])
            try await eventually("n2 sees n1's connection close") { n2.peersDown.all.contains("n1") }
            #expect(n1.stats("n2").connected == false)
            n1.send(to: "n2", [1])
            try await eventually("a warning about the unknown peer") {
                !logs.matching("n1", .warning, "dropping messages to n2", "not in the peer list").isEmpty
            }
            n2.send(to: "n1", [5])
            try await eventually("n2 -> n1 still flows") { n1.markers(from: "n2") == [5] }
            #expect(n2.markers(from: "n1").isEmpty)
        }
    }

    @Test func aPeerWithABadOrMovedAddressIsRedialledWhereItIsNow() async throws {
        try await withNodes(["n1", "n2"], connect: false) { nodes, _ in
            let (n1, n2) = (nodes[0], nodes[1])
            n1.transport.setPeers(["n2": "nowhere"])
            try await eventually("the bad address is reported") { n1.stats("n2").lastError?.contains("not host:port") == true }
            let stale = try await unusedPort()
            n1.transport.setPeers(["n2": "127.0.0.1:\(stale)"])
            n1.send(to: "n2", [1])
            try await eventually("dialling the stale address fails") { n1.stats("n2").lastError?.contains("connect to") == true }
            n1.transport.setPeers(["n1": n1.address, "n2": n2.address])
            try await eventually("the queued message follows n2 to its address") { n2.markers(from: "n1") == [1] }
            #expect(n1.stats("n2").connected)
            #expect(n1.transport.stats()["n1"] == nil, "a node never dials itself")
        }
    }

    @Test(arguments: [Mismatch.secret, .clusterID, .protocolVersion])
    func aMismatchedHandshakeIsRefusedAndLogged(_ mismatch: Mismatch) async throws {
        let logs = LogCapture()
        try await withNodes(["n1", "n2"], logs: logs, connect: false, configure: { id, config in
            guard id == "n1" else { return }
            switch mismatch {
            case .secret: config.clusterSecret = "another secret"
            case .clusterID: config.clusterID = "other-cluster"
            case .protocolVersion: config.protocolVersion = 3
            }
        }) { nodes, _ in
            let (n1, n2) = (nodes[0], nodes[1])
            n1.transport.setPeers(["n2": n2.address])
            n1.send(to: "n2", [1, 2, 3])
            // What n2 logs, and what n1 is told (or concludes from a bare close).
            let (theirs, ours) = switch mismatch {
            case .protocolVersion:
                ("protocol version mismatch (ours 2, theirs 3)", "protocol version mismatch (ours 2, theirs 3)")
            case .secret, .clusterID:
                ("claiming to be n1: its handshake proof does not check out", "it closed the connection on our handshake proof")
            }
            // Two refusals: the first, and the redial after backoff; the second is counted but,
            // within 10 s of the first, not logged.
            try await eventually("n2 refuses n1 twice") { n2.transport.refusedHandshakes >= 2 }
            #expect(logs.matching("n2", .warning, "refused peer connection from", theirs).count == 1)
            try await eventually("n1 logs the refusal") {
                !logs.matching("n1", .warning, "refused our connection", ours).isEmpty
            }
            // The dialler logs a repeated refusal once at warning level, then at debug.
            #expect(logs.matching("n1", .warning, "refused our connection", ours).count == 1)
            try await eventually("n1 counts the refusals") { n1.stats("n2").refused >= 2 }
            #expect(n1.stats("n2").lastError?.contains(ours) == true)
            #expect(n1.stats("n2").connected == false)
            #expect(n1.stats("n2").queued == 3)
            #expect(n2.received.count == 0)
            #expect(n2.transport.stats()["n1"] == nil)
            #expect(n1.peersDown.count == 0 && n2.peersDown.count == 0)
        }
    }

    enum Mismatch: Sendable, CustomTestStringConvertible {
        case secret, clusterID, protocolVersion
        var testDescription: String {
            switch self {
            case .secret: "cluster secret"
            case .clusterID: "cluster id"
            case .protocolVersion: "protocol version"
            }
        }
    }

    /// Tests that speak the wire protocol by hand give the server's handshake timer far more
    /// than a loaded machine needs between connecting and writing, so only what the test
    /// sends can close the connection.
    let rawClientPatience: Duration = .seconds(120)

    @Test func anOversizedFrameClosesTheConnectionWithoutBufferingIt() async throws {
        let logs = LogCapture()
        try await withNodes(["n1"], logs: logs, configure: { _, c in
            c.maxFrameSize = 8192
            c.handshakeTimeout = rawClientPatience
        }) { nodes, group in
            let n1 = nodes[0]
            let raw = try await RawClient.connect(group: group, port: n1.transport.boundPort)
            let (_, answer) = try await raw.handshake(as: "n9", secret: testSecret)
            guard case .accept? = answer else { throw RawClientError("not accepted: \(String(describing: answer))") }
            var header = ByteBuffer()
            header.writeInteger(UInt32(8193), endianness: .big)
            try await raw.channel.writeAndFlush(header)
            try await eventually("n1 closes the connection") { !raw.channel.isActive }
            #expect(!logs.matching("n1", .error, "closing connection from peer n9", "frame of 8193 bytes exceeds the limit of 8192").isEmpty)
        }
    }

    @Test func aBadHandshakeClosesTheConnection() async throws {
        let logs = LogCapture()
        try await withNodes(["n1"], logs: logs, configure: { _, c in c.handshakeTimeout = rawClientPatience }) { nodes, group in
            let n1 = nodes[0]
            let raw = try await RawClient.connect(group: group, port: n1.transport.boundPort)
            var frame = ByteBuffer()
            FrameAssembler.writeFrame([1] + Array("HTTP".utf8) + [0, 2, 1, 65, 1, 66], into: &frame)
            try await raw.channel.writeAndFlush(frame)
            try await eventually("n1 closes the connection") { !raw.channel.isActive }
            #expect(!logs.matching("n1", .warning, "invalid handshake").isEmpty)
            #expect(n1.received.count == 0)
        }
    }

    @Test(arguments: [ForgedField.from, .to])
    func aMessageNamingAnotherSenderOrRecipientIsDroppedAndClosesTheConnection(_ forged: ForgedField) async throws {
        let logs = LogCapture()
        try await withNodes(["n1"], logs: logs, configure: { _, c in c.handshakeTimeout = rawClientPatience }) { nodes, group in
            let n1 = nodes[0]
            // Listed, so n9's statistics outlive its connection.
            n1.transport.setPeers(["n9": "127.0.0.1:\(try await unusedPort())"])
            let raw = try await RawClient.connect(group: group, port: n1.transport.boundPort)
            let (_, answer) = try await raw.handshake(as: "n9", secret: testSecret)
            guard case .accept? = answer else { throw RawClientError("not accepted: \(String(describing: answer))") }
            let impostor = switch forged {
            case .from: Message(from: "n8", to: "n1", term: 9, body: .heartbeat(commit: 0, context: 2))
            case .to: Message(from: "n9", to: "n7", term: 9, body: .heartbeat(commit: 0, context: 2))
            }
            try await raw.send([
                .message(Message(from: "n9", to: "n1", term: 1, body: .heartbeat(commit: 0, context: 1))),
                .message(impostor),
                .message(Message(from: "n9", to: "n1", term: 1, body: .heartbeat(commit: 0, context: 3))),
            ])
            try await eventually("n1 closes the connection") { !raw.channel.isActive }
            #expect(n1.markers(from: "n9") == [1], "the genuine message before the forged one, nothing after")
            #expect(n1.received.all.allSatisfy { $0.from == "n9" && $0.to == "n1" })
            try await eventually("the forged frame is counted") { n1.stats("n9").forged == 1 }
            #expect(logs.matching("n1", .warning, "closing peer n9's connection", "arrived on it").count == 1)
            try await eventually("n1 sees n9 go away") { n1.peersDown.all == ["n9"] }
        }
    }

    enum ForgedField: Sendable { case from, to }

    @Test func theSendQueueToAnUnreachablePeerStaysBounded() async throws {
        let logs = LogCapture()
        try await withNodes(["n1"], logs: logs, configure: { _, c in c.sendQueueLimit = 16 }) { nodes, _ in
            let n1 = nodes[0]
            let port = try await unusedPort()
            n1.transport.setPeers(["ghost": "127.0.0.1:\(port)"])
            for batch in 0..<100 { n1.send(to: "ghost", UInt64(batch * 10)..<UInt64(batch * 10 + 10)) }
            try await eventually("984 of 1000 dropped") { n1.stats("ghost").dropped == 984 }
            let stats = n1.stats("ghost")
            #expect(stats.queued == 16)
            #expect(stats.connected == false)
            try await eventually("the failed dial is recorded") { n1.stats("ghost").lastError?.contains("connect to 127.0.0.1") == true }
            #expect(logs.matching("n1", .warning, "send queue to peer ghost is full").count == 1)
        }
    }

    @Test func startingOnAPortInUseThrowsAClearError() async throws {
        try await withNodes(["n1"], connect: false) { nodes, group in
            let port = nodes[0].transport.boundPort
            let clash = TestNode("n2", group: group, logs: LogCapture(), port: port)
            await #expect(throws: TransportError.addressInUse(host: "127.0.0.1", port: port)) {
                try await clash.transport.start()
            }
            #expect(TransportError.addressInUse(host: "127.0.0.1", port: port).description.contains("already in use"))
            await clash.transport.shutdown()
        }
    }

    @Test func startTwiceAndAfterShutdownThrow() async throws {
        try await withNodes(["n1"], connect: false) { nodes, _ in
            await #expect(throws: TransportError.alreadyStarted) { try await nodes[0].transport.start() }
            await nodes[0].transport.shutdown()
            await #expect(throws: TransportError.shutDown) { try await nodes[0].transport.start() }
        }
    }

    @Test func peerAddressesParse() {
        #expect(PeerAddress("127.0.0.1:7001") == PeerAddress("127.0.0.1:7001"))
        #expect(PeerAddress("127.0.0.1:7001")?.port == 7001)
        #expect(PeerAddress("[::1]:7001")?.host == "::1")
        #expect(PeerAddress("localhost:0") == nil)
        #expect(PeerAddress("localhost") == nil)
        #expect(PeerAddress(":7001") == nil)
        #expect(PeerAddress("[::1]7001") == nil)
    }

    @Test func reconnectBackoffIsCappedAndJittered() {
        let backoff = ReconnectBackoff()
        var rng = SplitMix64(seed: 3)
        #expect(backoff.delay(afterFailures: 1, using: &rng) == .milliseconds(50))
        for failures in 1...100 {
            let d = backoff.delay(afterFailures: failures, using: &rng)
            #expect(d >= .milliseconds(50) && d <= .seconds(2))
        }
        let late = (0..<50).map { _ in backoff.delay(afterFailures: 30, using: &rng) }
        #expect(late.allSatisfy { $0 >= .seconds(1) })
        #expect(Set(late).count > 1, "jittered")
    }
}

/// Starts `transport`, returning false when its port is still taken.
func startNow(_ transport: PeerTransport) async throws -> Bool {
    do {
        try await transport.start()
        return true
    } catch TransportError.addressInUse {
        return false
    }
}

/// A port nothing listens on: bound, then released.
func unusedPort() async throws -> Int {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let channel = try await ServerBootstrap(group: group).bind(host: "127.0.0.1", port: 0).get()
    let port = channel.localAddress!.port!
    try await channel.close()
    try await group.shutdownGracefully()
    return port
}
