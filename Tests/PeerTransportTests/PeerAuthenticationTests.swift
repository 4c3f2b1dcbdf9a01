import BinaryCoding
import Logging
import NIOCore
import NIOPosix
@testable import PeerTransport
import RaftCore
import Testing
import TestSupport

/// Peers prove they hold the cluster secret before a frame of theirs counts: strangers are
/// refused and told nothing, recorded handshakes do not replay, a connection carries only its
/// own peer's messages, buffers stay small until the proof, and `admit` turns away a
/// wrong incarnation.
@Suite struct PeerAuthenticationTests {
    /// Hand-spoken connections give the server's handshake timer far more than they need, so
    /// only what the test sends can close them.
    let patience: Duration = .seconds(120)

    @Test func aStrangerIsRefusedAndLearnsNothing() async throws {
        let logs = LogCapture()
        try await withNodes(["n1"], logs: logs, configure: { _, c in c.handshakeTimeout = patience }) { nodes, group in
            let n1 = nodes[0]
            // A dialer that has the cluster id and node ids but not the secret.
            let wrong = try await RawClient.connect(group: group, port: n1.transport.boundPort)
            #expect(try await wrong.handshake(as: "n2", secret: "guessed", acceptor: "n1").answer == nil)
            // One that speaks the previous protocol, which proved nothing.
            let old = try await RawClient.connect(group: group, port: n1.transport.boundPort)
            var hello = ByteWriter()
            hello.write(UInt8(1))
            for b in Array("FLTL".utf8) { hello.write(b) }
            hello.write(UInt8(0))
            hello.write(UInt8(1))
            hello.write("test-cluster")
            hello.write("n2")
            var out = ByteBuffer()
            FrameAssembler.writeFrame(hello.bytes, into: &out)
            FrameAssembler.writeFrame(WireFrame.message(Message(from: "n2", to: "n1", term: 99, body: .timeoutNow)).encode(), into: &out)
            try await old.channel.writeAndFlush(out)
            try await eventually("n1 closes both connections") { wrong.inbound.closed && old.inbound.closed }

            // A nonce, then a bare close: not a byte more.
            guard case .challenge(let nonce)? = wrong.frames.first else { throw RawClientError("no challenge: \(wrong.frames)") }
            var challenge = ByteBuffer()
            FrameAssembler.writeFrame(WireFrame.challenge(nonce: nonce).encode(), into: &challenge)
            #expect(wrong.inbound.bytes == Array(challenge.readableBytesView))
            // The versions, and nothing else.
            #expect(old.frames == [.refuse(reason: "protocol version mismatch (ours 2, theirs 1)")])
            for name in ["test-cluster", "n1"] {
                #expect(!old.inbound.bytes.contains(Array(name.utf8)), "\(name) never sent to a stranger")
            }
            #expect(n1.received.count == 0)
            #expect(n1.transport.refusedHandshakes == 2)
            #expect(!logs.matching("n1", .warning, "refused peer connection from", "claiming to be n2", "does not check out").isEmpty)
        }
    }

    @Test func aDialerRefusesAnAcceptorThatCannotProveItself() async throws {
        let logs = LogCapture()
        try await withNodes(["n2"], logs: logs, connect: false) { nodes, group in
            let n2 = nodes[0]
            // Listening where n1 should be, with the right cluster id and name but not the secret.
            let impostor = try await FakeAcceptor.start(group: group, claiming: "n1", secret: "guessed")
            defer { _ = impostor }
            n2.transport.setPeers(["n1": "127.0.0.1:\(impostor.port)"])
            n2.send(to: "n1", [1, 2])
            try await eventually("n2 refuses it twice") { n2.stats("n1").refused >= 2 }
            #expect(n2.stats("n1").connected == false)
            #expect(n2.stats("n1").lastError?.contains("did not prove it holds our cluster secret") == true)
            #expect(n2.stats("n1").queued == 2, "nothing sent to it")
            #expect(!impostor.received.all.contains { if case .message = $0 { true } else { false } })
            #expect(logs.matching("n2", .warning, "dropping connection to peer n1", "did not prove").count == 1, "rate-limited")
            await impostor.stop()
        }
    }

    @Test func withoutASecretPeersStillTalkAfterOneWarning() async throws {
        let logs = LogCapture()
        try await withNodes(["n1", "n2"], logs: logs, configure: { _, c in c.clusterSecret = nil }) { nodes, _ in
            let (n1, n2) = (nodes[0], nodes[1])
            n1.send(to: "n2", [1])
            try await eventually("n1 -> n2 flows") { n2.markers(from: "n1") == [1] }
            for id in ["n1", "n2"] {
                #expect(logs.matching(id, .warning, "peers are not authenticated").count == 1)
            }
        }
        // A node that holds a secret and one that does not refuse each other.
        let mixed = LogCapture()
        try await withNodes(["n1", "n2"], logs: mixed, connect: false, configure: { id, c in
            if id == "n2" { c.clusterSecret = nil }
        }) { nodes, _ in
            let (n1, n2) = (nodes[0], nodes[1])
            n1.transport.setPeers(["n2": n2.address])
            try await eventually("n2 refuses n1") { n2.transport.refusedHandshakes >= 1 }
            #expect(!n1.stats("n2").connected)
            #expect(mixed.matching("n1", .warning, "peers are not authenticated").isEmpty)
        }
    }

    @Test func aReplayedHandshakeIsRefused() async throws {
        try await withNodes(["n1"], configure: { _, c in c.handshakeTimeout = patience }) { nodes, group in
            let n1 = nodes[0]
            let genuine = try await RawClient.connect(group: group, port: n1.transport.boundPort)
            let (sent, answer) = try await genuine.handshake(as: "n2", secret: testSecret)
            guard case .accept? = answer else { throw RawClientError("the genuine handshake failed: \(String(describing: answer))") }
            // The same hello and proof, word for word, on a new connection.
            let replay = try await RawClient.connect(group: group, port: n1.transport.boundPort)
            try await replay.send(sent)
            // n1 may have closed already.
            try? await replay.send([.message(Message(from: "n2", to: "n1", term: 99, body: .timeoutNow))])
            try await eventually("n1 closes the replay") { replay.inbound.closed }
            guard case .challenge(let fresh) = replay.frames.first, case .challenge(let first) = genuine.frames.first else {
                throw RawClientError("no challenge: \(replay.frames)")
            }
            #expect(fresh != first, "each connection gets a fresh nonce")
            #expect(replay.frames.count == 1)
            #expect(n1.received.count == 0)
            #expect(n1.transport.refusedHandshakes == 1)
            try await genuine.channel.close()
        }
    }

    @Test func aProofBindsEveryFieldAndItsDirection() {
        let secret = ClusterSecret(token: testSecret)
        let base = HandshakeTranscript(
            protocolVersion: 2, clusterID: "c", dialer: "n1", acceptor: "n2", dialerIncarnation: 1, acceptorIncarnation: 2,
            dialerNonce: [UInt8](repeating: 1, count: 32), acceptorNonce: [UInt8](repeating: 2, count: 32))
        for role in [HandshakeRole.dialer, .acceptor] {
            let mac = secret.prove(base, as: role)
            #expect(secret.verify(mac, of: base, as: role))
            #expect(!ClusterSecret(token: "other").verify(mac, of: base, as: role))
            #expect(!ClusterSecret(token: nil).verify(mac, of: base, as: role))
            var changes: [HandshakeTranscript] = []
            for change in 0..<7 {
                var t = base
                switch change {
                case 0: t.protocolVersion = 3
                case 1: t.clusterID = "d"
                case 2: (t.dialer, t.acceptor) = (t.acceptor, t.dialer)
                case 3: t.dialerIncarnation = 9
                case 4: t.dialerNonce[0] ^= 1
                case 5: t.acceptorNonce[31] ^= 1
                default: (t.dialerNonce, t.acceptorNonce) = (t.acceptorNonce, t.dialerNonce)
                }
                changes.append(t)
            }
            for t in changes { #expect(!secret.verify(mac, of: t, as: role), "\(t)") }
        }
        // The acceptor's proof binds its incarnation too; neither proof passes as the other's.
        var moved = base
        moved.acceptorIncarnation = 3
        #expect(!secret.verify(secret.prove(base, as: .acceptor), of: moved, as: .acceptor))
        #expect(!secret.verify(secret.prove(base, as: .acceptor), of: base, as: .dialer))
        #expect(!secret.verify(secret.prove(base, as: .dialer), of: base, as: .acceptor))
    }

    @Test func anOversizedLengthBeforeTheHandshakeClosesAtOnce() async throws {
        let logs = LogCapture()
        try await withNodes(["n1"], logs: logs, configure: { _, c in c.handshakeTimeout = patience }) { nodes, group in
            let n1 = nodes[0]
            #expect(n1.transport.config.maxFrameSize == 16 << 20, "15 MiB is under the limit for an authenticated peer")
            let raw = try await RawClient.connect(group: group, port: n1.transport.boundPort)
            var out = ByteBuffer()
            out.writeInteger(UInt32(15 << 20), endianness: .big)
            out.writeBytes([UInt8](repeating: 0, count: 60_000))
            try? await raw.channel.writeAndFlush(out)
            try await eventually("n1 closes the connection", timeout: .seconds(10)) { raw.inbound.closed }
            #expect(raw.inbound.bytes.isEmpty)
            #expect(!logs.matching("n1", .warning, "refused peer connection", "frame of 15728640 bytes before the handshake completed exceeds the limit of 4096").isEmpty)
        }
    }

    /// Strangers that connect and say nothing hold at most `maxPendingHandshakes` descriptors:
    /// each one past it closes the oldest. A peer that dials in the middle of the flood still
    /// gets through, as its handshake takes a round trip.
    @Test func silentStrangersHoldABoundedNumberOfConnectionsAndAPeerStillGetsIn() async throws {
        let logs = LogCapture()
        try await withNodes(["n1", "n2"], logs: logs, connect: false, configure: { _, c in
            c.handshakeTimeout = patience
            c.maxPendingHandshakes = 8
        }) { nodes, group in
            let (n1, n2) = (nodes[0], nodes[1])
            var strangers: [RawClient] = []
            for _ in 0..<40 { strangers.append(try await RawClient.connect(group: group, port: n1.transport.boundPort)) }
            try await eventually("n1 to close all but the newest 8", timeout: .seconds(10)) {
                strangers.filter { !$0.inbound.closed }.count == 8
            }
            #expect(strangers.suffix(8).allSatisfy { !$0.inbound.closed }, "the oldest go first")
            #expect(n1.transport.refusedHandshakes == 32)
            #expect(!logs.matching("n1", .warning, "refused peer connection", "more than 8 connections in their handshake").isEmpty)

            let book = [n1.id: n1.address, n2.id: n2.address]
            n1.transport.setPeers(book)
            n2.transport.setPeers(book)
            try await eventually("n2 connected to n1 past the strangers") { n2.stats("n1").connected }
            n2.send(to: "n1", [1, 2, 3])
            try await eventually("n1 to receive n2's messages") { n1.markers(from: "n2") == [1, 2, 3] }
            for s in strangers { try? await s.channel.close() }
        }
    }

    @Test func aStalledPartialFrameClosesWithinItsLimit() async throws {
        let logs = LogCapture()
        try await withNodes(["n1"], logs: logs, configure: { _, c in
            c.handshakeTimeout = patience
            c.partialFrameTimeout = .seconds(1)
        }) { nodes, group in
            let n1 = nodes[0]
            let clock = ContinuousClock()
            // After the handshake: a header for 100 bytes and 10 of them.
            let peer = try await RawClient.connect(group: group, port: n1.transport.boundPort)
            guard case .accept? = try await peer.handshake(as: "n2", secret: testSecret).answer else { throw RawClientError("not accepted") }
            var out = ByteBuffer()
            out.writeInteger(UInt32(100), endianness: .big)
            out.writeBytes([UInt8](repeating: 4, count: 10))
            let sent = clock.now
            try await peer.channel.writeAndFlush(out)
            // Before it: half a length prefix.
            let stranger = try await RawClient.connect(group: group, port: n1.transport.boundPort)
            try await stranger.channel.writeAndFlush(ByteBuffer(bytes: [0, 0]))
            try await eventually("n1 closes both", timeout: .seconds(15)) { peer.inbound.closed && stranger.inbound.closed }
            #expect(clock.now - sent >= .milliseconds(900), "not before the limit")
            #expect(!logs.matching("n1", .error, "closing connection from peer n2", "a partial frame (10 of 100 bytes) made no progress for 1.0 seconds").isEmpty)
            #expect(!logs.matching("n1", .warning, "refused peer connection", "made no progress").isEmpty)
        }
    }

    @Test func admitRefusesAWrongIncarnationAndDisconnectAsksAgain() async throws {
        let logs = LogCapture()
        // The incarnation n1 expects of n2: the last one recorded.
        let expected = Recorder<UInt64>()
        expected.append(7)
        try await withNodes(["n1", "n2"], logs: logs, configure: { id, c in
            if id == "n1" {
                c.incarnation = 1
                c.admit = { peer, incarnation in
                    let want = expected.all.last ?? 0
                    return peer == "n2" && incarnation != want ? "n2 is at incarnation \(want)" : nil
                }
            } else {
                c.incarnation = 7
                c.admit = { peer, incarnation in peer == "n1" && incarnation != 1 ? "n1 is at incarnation 1" : nil }
            }
        }) { nodes, _ in
            let (n1, n2) = (nodes[0], nodes[1])
            n2.send(to: "n1", [1])
            try await eventually("n2 -> n1 flows while n2's incarnation is the expected one") { n1.markers(from: "n2") == [1] }

            expected.append(8)
            n1.transport.disconnect(peer: "n2")
            // Both directions: n1 refuses n2's dial, and drops its own after n2's accept.
            try await eventually("n2 is refused by n1") {
                !logs.matching("n2", .warning, "refused our connection", "not admitted at incarnation 7: n2 is at incarnation 8").isEmpty
            }
            try await eventually("n1 drops its dial to n2") { n1.stats("n2").lastError?.contains("not admitted at incarnation 7") == true }
            #expect(!n1.stats("n2").connected && !n2.stats("n1").connected)
            n2.send(to: "n1", [2])
            try await eventually("the message waits in n2's queue") { n2.stats("n1").queued == 1 }
            #expect(n1.markers(from: "n2") == [1])

            // Back to the incarnation n2 has: the redials get through.
            expected.append(7)
            try await eventually("n2 -> n1 flows again") { n1.markers(from: "n2") == [1, 2] }
            try await eventually("n1 -> n2 reconnects") { n1.stats("n2").connected }
        }
    }
}
