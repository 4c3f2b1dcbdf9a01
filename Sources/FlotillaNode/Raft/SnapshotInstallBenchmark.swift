import Foundation
import Logging
import NodeCore
import NodeStorage
import RaftCore
import TaskQueue

/// What receiving a leader's snapshot costs a follower's Raft loop: a `NodeCore` over a real
/// `NodeStorage` (fsync on, in a temporary directory) is sent `snapshot` in chunks of the node's
/// own size, as `n1` would send it. `gather` is the loop's time for every chunk but the last
/// (stepped, then processed); `hold` is the loop's time to install it (the last chunk, and the
/// batch that stores it, swaps the queue decoded off the loop in and acknowledges it). The follower installs one snapshot a round, each over the
/// table the one before left, so from the second round on a table of the same size is replaced.
public struct SnapshotInstallBenchmark: Sendable {
    public var snapshot: [UInt8]
    public var rounds: Int
    public var chunkSize: Int

    public init(snapshot: [UInt8], rounds: Int, chunkSize: Int = RaftConfig(id: "n2").snapshotChunkSize) {
        self.snapshot = snapshot
        self.rounds = rounds
        self.chunkSize = chunkSize
    }

    public struct Result: Sendable {
        public var chunks: Int
        /// Milliseconds per round: gathering the chunks on the loop (all but the last); the
        /// longest one chunk held it; the install's hold of the loop.
        public var gather: [Double] = []
        public var gatherChunkMax: [Double] = []
        public var hold: [Double] = []
        /// Milliseconds per round the install's work took away from the loop (joining, decoding,
        /// writing the file); none while it all ran on the loop.
        public var offLoop: [Double] = []

        /// The install's fields of `bench snapshot`'s line.
        public var fields: String {
            "install_chunks=\(chunks) install_gather_p50_ms=\(fmt(median(gather))) install_gather_chunk_max_ms=\(fmt(gatherChunkMax.max() ?? 0, 3)) "
                + "install_hold_p50_ms=\(fmt(median(hold))) install_hold_max_ms=\(fmt(hold.max() ?? 0)) install_off_loop_p50_ms=\(fmt(median(offLoop)))"
        }

        func median(_ v: [Double]) -> Double { v.isEmpty ? 0 : v.sorted()[v.count / 2] }
        func fmt(_ v: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", v) }
    }

    /// Why a round did not end with the snapshot installed.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public func run() throws -> Result {
        let directory = FileManager.default.temporaryDirectory.path + "/flotilla-bench-install-\(UInt64.random(in: 1...UInt64.max))"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let logger = Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }
        let (storage, state) = try NodeStorage.open(directory: directory, logger: logger)
        defer { storage.close() }
        var rc = RaftConfig(id: "n2")
        rc.trapOnInvariantViolation = false
        var core = try NodeCore(config: NodeCoreConfig(raft: rc), store: storage, restoring: state)
        let members = Membership(["n1", "n2"].map {
            Member(id: $0, isVoter: true, address: MemberAddress(raft: "bench://\($0)", admin: "bench://\($0)", slots: 0).encoded)
        })
        let offsets = Array(stride(from: 0, to: max(snapshot.count, 1), by: chunkSize))
        var result = Result(chunks: offsets.count)
        let clock = ContinuousClock()
        for r in 1...rounds {
            let metadata = SnapshotMetadata(index: UInt64(r) * 1_000, term: 1, hash: UInt64(r), membership: members)
            var gather = 0.0, chunkMax = 0.0
            for (k, offset) in offsets.enumerated() {
                let chunk = Array(snapshot[offset..<min(offset + chunkSize, snapshot.count)])
                let m = Message(from: "n1", to: "n2", term: 1,
                                body: .snapshot(metadata: metadata, offset: offset, totalSize: snapshot.count, chunk: chunk))
                let began = clock.now
                core.receive(m)
                let out = core.process()
                var took = ms(clock.now - began)
                if let job = out.install {
                    // Off the loop in the node: joined, decoded and written on another thread.
                    let offLoop = clock.now
                    let decoded = job.decodeAndPrepare(on: storage)
                    result.offLoop.append(ms(clock.now - offLoop))
                    let back = clock.now
                    if !core.snapshotDecoded(decoded), let prepared = decoded.prepared { storage.discard(prepared) }
                    // As the driver does: the table the snapshot replaced is freed on another thread.
                    var after = core.process()
                    Handover.detach((after.replacedQueue.take(), after.replacedSnapshot.take()), priority: .background)
                    took += ms(clock.now - back)
                }
                if k == offsets.count - 1 {
                    result.hold.append(took)
                } else {
                    gather += took
                    chunkMax = max(chunkMax, took)
                }
            }
            result.gather.append(gather)
            result.gatherChunkMax.append(chunkMax)
            guard core.applied == metadata.index, core.raft.snapshotIndex == metadata.index else {
                throw Failure(description: "round \(r): the follower did not install the snapshot at \(metadata.index) "
                    + "(applied \(core.applied), snapshot \(core.raft.snapshotIndex))")
            }
        }
        return result
    }

    func ms(_ d: Duration) -> Double {
        let c = d.components
        return Double(c.seconds) * 1000 + Double(c.attoseconds) / 1e15
    }
}
