import NIOCore
import NIOPosix
@testable import PeerTransport
import Synchronization

/// A listener that plays the acceptor's part of the handshake without the cluster secret:
/// it challenges, then accepts with a proof made under `secret`. It records every frame a
/// dialer sends it, so a test can check that nothing but the handshake got through.
final class FakeAcceptor: Sendable {
    let channel: any Channel
    let received: Recorder<WireFrame>

    var port: Int { channel.localAddress!.port! }

    private init(channel: any Channel, received: Recorder<WireFrame>) {
        self.channel = channel
        self.received = received
    }

    static func start(group: any EventLoopGroup, claiming id: String, secret: String?, cluster: String = "test-cluster") async throws -> FakeAcceptor {
        let received = Recorder<WireFrame>()
        let channel = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        Session(id: id, secret: ClusterSecret(token: secret), cluster: cluster, received: received))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return FakeAcceptor(channel: channel, received: received)
    }

    func stop() async {
        try? await channel.close()
    }

    /// One dialled connection's side of the handshake.
    final class Session: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer

        let id: String
        let secret: ClusterSecret
        let cluster: String
        let received: Recorder<WireFrame>
        var assembler = FrameAssembler()
        var dialerNonce: [UInt8] = []
        let acceptorNonce = HandshakeTranscript.freshNonce()

        init(id: String, secret: ClusterSecret, cluster: String, received: Recorder<WireFrame>) {
            self.id = id
            self.secret = secret
            self.cluster = cluster
            self.received = received
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var input = unwrapInboundIn(data)
            while let payload = try? assembler.next(from: &input, limit: 1 << 20, allocator: context.channel.allocator),
                  let frame = try? WireFrame.decode(payload) {
                received.append(frame)
                switch frame {
                case .hello(let hello):
                    dialerNonce = hello.nonce
                    write(context, .challenge(nonce: acceptorNonce))
                case .proof(let proof):
                    let transcript = HandshakeTranscript(
                        protocolVersion: TransportConfig.currentProtocolVersion, clusterID: cluster, dialer: proof.nodeID, acceptor: id,
                        dialerIncarnation: proof.incarnation, acceptorIncarnation: 0, dialerNonce: dialerNonce, acceptorNonce: acceptorNonce)
                    write(context, .accept(PeerProof(nodeID: id, incarnation: 0, mac: secret.prove(transcript, as: .acceptor))))
                default:
                    break
                }
            }
        }

        private func write(_ context: ChannelHandlerContext, _ frame: WireFrame) {
            context.writeAndFlush(wrapOutboundOut(frame.framed(allocator: context.channel.allocator)), promise: nil)
        }
    }
}
