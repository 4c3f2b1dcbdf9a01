import NIOCore
import NIOPosix
@testable import PeerTransport
import Synchronization
import Testing
import TestSupport

/// A bare TCP client for speaking (or mis-speaking) the wire protocol by hand. It keeps every
/// byte the server sends, so a test can say exactly what a stranger learned.
struct RawClient {
    let channel: any Channel
    let inbound: ByteCollector

    static func connect(group: any EventLoopGroup, port: Int) async throws -> RawClient {
        let inbound = ByteCollector()
        let channel = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(inbound) }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return RawClient(channel: channel, inbound: inbound)
    }

    /// Writes `frames`, each length-prefixed, in one flush.
    func send(_ frames: [WireFrame]) async throws {
        var out = ByteBuffer()
        for f in frames { FrameAssembler.writeFrame(f.encode(), into: &out) }
        try await channel.writeAndFlush(out)
    }

    /// The frames received so far (a trailing partial frame left out).
    var frames: [WireFrame] {
        var buffer = ByteBuffer(bytes: inbound.bytes)
        var assembler = FrameAssembler()
        var out: [WireFrame] = []
        while let payload = try? assembler.next(from: &buffer, limit: 1 << 20, allocator: ByteBufferAllocator()),
              let frame = try? WireFrame.decode(payload) {
            out.append(frame)
        }
        return out
    }

    /// Waits for the `index`th frame from the server.
    func frame(_ index: Int) async throws -> WireFrame {
        try await eventually("frame \(index) from the server", timeout: .seconds(20)) { frames.count > index }
        return frames[index]
    }

    /// Opens as a dialer named `id` that holds `secret`: hello, the challenge answered with a
    /// proof, and the server's answer back (nil when it closed instead). Returns what was sent and got.
    @discardableResult
    func handshake(as id: String, secret: String?, incarnation: UInt64 = 0, acceptor: String = "n1",
                   cluster: String = "test-cluster") async throws -> (sent: [WireFrame], answer: WireFrame?) {
        let nonce = HandshakeTranscript.freshNonce()
        let hello = WireFrame.hello(PeerHello(protocolVersion: TransportConfig.currentProtocolVersion, nonce: nonce))
        try await send([hello])
        guard case .challenge(let theirs) = try await frame(0) else { throw RawClientError("no challenge: \(frames)") }
        let transcript = HandshakeTranscript(
            protocolVersion: TransportConfig.currentProtocolVersion, clusterID: cluster, dialer: id, acceptor: acceptor,
            dialerIncarnation: incarnation, acceptorIncarnation: 0, dialerNonce: nonce, acceptorNonce: theirs)
        let proof = WireFrame.proof(PeerProof(nodeID: id, incarnation: incarnation,
                                              mac: ClusterSecret(token: secret).prove(transcript, as: .dialer)))
        try await send([proof])
        try await eventually("an answer to the proof", timeout: .seconds(20)) { frames.count > 1 || inbound.closed }
        return ([hello, proof], frames.count > 1 ? frames[1] : nil)
    }
}
