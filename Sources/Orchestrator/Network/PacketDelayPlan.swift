import Foundation

/// What a run's packet releaser holds, and how: written by the control plane into the cluster
/// directory, re-read by the releaser whenever it changes. The releaser runs in the switch
/// namespace and the CLI that sets a delay exits at once, so a file both can see is the channel;
/// the file's removal tells the releaser to let every held packet go and exit.
public struct PacketDelayPlan: Codable, Sendable, Equatable {
    /// Bumped by every change; the releaser reports the revision it runs, so a change is in
    /// force once the releaser says so.
    public var revision: Int
    public var seed: UInt64
    /// The most packets held at once; the next is dropped and counted.
    public var capacity: Int
    /// The NFQUEUE number the rules send packets to (per namespace, so any number is the run's own).
    public var queue: UInt16
    public var rules: [DelayRule]
    /// Each member's IPv4 address, so a packet's link is told from its header.
    public var addresses: [String: String]

    public init(revision: Int, seed: UInt64, capacity: Int = 10_000, queue: UInt16 = 0, rules: [DelayRule], addresses: [String: String]) {
        self.revision = revision
        self.seed = seed
        self.capacity = capacity
        self.queue = queue
        self.rules = rules
        self.addresses = addresses
    }

    public static func read(_ path: String) -> PacketDelayPlan? {
        FileManager.default.contents(atPath: path).flatMap { try? JSONDecoder().decode(PacketDelayPlan.self, from: $0) }
    }

    public func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try PrivateFiles.write(String(decoding: try encoder.encode(self), as: UTF8.self) + "\n", to: path)
    }
}
