import Foundation

/// What a running releaser reports, rewritten about twice a second into the cluster directory:
/// that it is bound to its queue, the plan revision it holds packets by, and its counts.
public struct PacketDelayStats: Codable, Sendable, Equatable {
    public var pid: Int32
    public var revision: Int
    public var queue: UInt16
    public var held: Int
    public var admitted: Int
    public var released: Int
    /// Refused beyond the capacity.
    public var dropped: Int
    public var reordered: Int
    /// Times the kernel could not hand over a packet because the releaser's socket was full (ENOBUFS).
    public var overruns: Int

    public init(pid: Int32, revision: Int, queue: UInt16, held: Int = 0, admitted: Int = 0, released: Int = 0,
                dropped: Int = 0, reordered: Int = 0, overruns: Int = 0) {
        self.pid = pid
        self.revision = revision
        self.queue = queue
        self.held = held
        self.admitted = admitted
        self.released = released
        self.dropped = dropped
        self.reordered = reordered
        self.overruns = overruns
    }

    /// `releaser pid 4711: 3 held, 1200 released, 0 dropped`.
    public var summary: String {
        "releaser pid \(pid): \(held) held, \(released) released, \(dropped) dropped" + (reordered > 0 ? ", \(reordered) reordered" : "")
            + (overruns > 0 ? ", \(overruns) socket overruns" : "")
    }

    public static func read(_ path: String) -> PacketDelayStats? {
        FileManager.default.contents(atPath: path).flatMap { try? JSONDecoder().decode(PacketDelayStats.self, from: $0) }
    }
}
