import Testing
@testable import FlotillaNode

/// The node's own configuration refuses to serve mutations off loopback without a token,
/// whoever builds it (the CLI, a test, an embedding program).
@Suite("Node configuration")
struct NodeConfigTests {
    func config(admin: String, raft: String = "127.0.0.1") -> NodeConfig {
        var c = NodeConfig(id: "n1", raftPort: 7101, adminPort: 8101, dataDir: "/tmp/unused")
        c.adminHost = admin
        c.raftHost = raft
        return c
    }

    @Test func offLoopbackWithoutATokenIsRefused() {
        let refusal = "refusing to listen on a non-loopback address without a token: pass --token-file, or --insecure"
        #expect(config(admin: "0.0.0.0").problem == refusal)
        #expect(config(admin: "127.0.0.1", raft: "10.0.0.5").problem == refusal)
        #expect(config(admin: "192.168.1.20", raft: "192.168.1.20").problem == refusal)
    }

    @Test func theRaftLoopsPriorityIsOneLinuxTakes() {
        var c = config(admin: "127.0.0.1")
        for p: LoopPriority in [.nice(-20), .nice(-5), .nice(0), .nice(19), .realtime(1), .realtime(99)] {
            c.raftPriority = p
            #expect(c.problem == nil)
        }
        for nice: Int32 in [-21, 20] {
            c.raftPriority = .nice(nice)
            #expect(c.problem == "--raft-nice must be from -20 to 19 (got \(nice))")
        }
        for level: Int32 in [0, 100] {
            c.raftPriority = .realtime(level)
            #expect(c.problem == "--raft-realtime must be from 1 to 99 (got \(level))")
        }
    }

    @Test func loopbackATokenOrInsecureIsAllowed() {
        #expect(config(admin: "127.0.0.1").problem == nil)
        #expect(config(admin: "localhost", raft: "::1").problem == nil)
        var withToken = config(admin: "0.0.0.0", raft: "0.0.0.0")
        withToken.token = "s3cret"
        #expect(withToken.problem == nil)
        var insecure = config(admin: "0.0.0.0", raft: "0.0.0.0")
        insecure.insecure = true
        #expect(insecure.problem == nil)
    }
}
