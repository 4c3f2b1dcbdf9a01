import NIOCore
import NIOPosix

/// The Raft loop's own threads: one runs the driver actor (its batches and their fsyncs),
/// one its ticker. Nothing else runs on them, so no admin load (hundreds of event streams,
/// large answers, a flood of connections) can delay a heartbeat or an election timer: the
/// admin server and its handlers run on NIO's shared threads and Swift's global pool.
final class DriverThreads: Sendable {
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
    /// The driver actor's executor.
    let driver: any EventLoop
    /// Where the ticker's timer fires.
    let ticker: any EventLoop

    init() {
        let loops = Array(group.makeIterator())
        driver = loops[0]
        ticker = loops[1]
    }

    /// Stops both threads, once the driver loop has ended.
    func shutdown() async {
        try? await group.shutdownGracefully()
    }
}
