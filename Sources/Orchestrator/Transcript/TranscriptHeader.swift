import FlotillaAPI
import Foundation

/// Line 1 of a transcript: what was recorded, when, and against which cluster, so that a
/// replay can start the same cluster again.
public struct TranscriptHeader: Sendable, Codable, Equatable {
    public struct Cluster: Sendable, Codable, Equatable {
        public var nodes: Int
        public var ids: [String]
        public var heartbeatMs: Int
        public var electionMs: Int
        /// The `flotilla node` flags every node got.
        public var nodeArgs: [String]

        public init(nodes: Int, ids: [String], heartbeatMs: Int = 50, electionMs: Int = 300, nodeArgs: [String] = []) {
            self.nodes = nodes
            self.ids = ids
            self.heartbeatMs = heartbeatMs
            self.electionMs = electionMs
            self.nodeArgs = nodeArgs
        }

        /// The spec of a local cluster; timeouts are read from its node flags where set.
        public init(_ spec: ClusterSpec) {
            func flag(_ name: String) -> Int? {
                spec.nodeArgs.firstIndex(of: name).flatMap { spec.nodeArgs.indices.contains($0 + 1) ? Int(spec.nodeArgs[$0 + 1]) : nil }
            }
            self.init(nodes: spec.nodes.count, ids: spec.nodes.map(\.id), heartbeatMs: flag("--heartbeat-ms") ?? 50,
                      electionMs: flag("--election-ms") ?? 300, nodeArgs: spec.nodeArgs)
        }
    }

    public struct Terminal: Sendable, Codable, Equatable {
        public var width: Int
        public var height: Int
        public init(width: Int, height: Int) { self.width = width; self.height = height }
    }

    public var format = Transcript.format
    public var version = Transcript.version
    /// RFC 3339, UTC.
    public var started: String
    public var flotillaVersion = FlotillaAPI.flotillaVersion
    public var cluster: Cluster
    /// The recovery mode the session started with (a replay runs recovery the same way).
    public var recover: String?
    public var seed: UInt64?
    public var terminal: Terminal?
    /// What wrote it: console, cli, replay, chaos.
    public var source: String
    /// The engine the cluster ran (`etcd`); nil for Flotilla's node, as every transcript before it.
    public var engine: String?
    /// `netns` when the members ran as hosts of a namespace lab (`up --net netns`), so a replay
    /// starts its cluster in a new lab; nil on loopback, as every transcript before it.
    public var net: String?
    public var t: Double = 0

    public init(started: Date, cluster: Cluster, recover: String? = nil, seed: UInt64? = nil, terminal: Terminal? = nil, source: String) {
        self.started = Transcript.rfc3339(started)
        self.cluster = cluster
        self.recover = recover
        self.seed = seed
        self.terminal = terminal
        self.source = source
    }

    public var startedAt: Date? { Transcript.parseRFC3339(started) }

    /// The `net` word for a cluster in `lab` (nil: loopback).
    public static func net(_ lab: NetnsLab?) -> String? { lab == nil ? nil : "netns" }

    /// The `net` word for the cluster `engine` drives.
    public static func net(of engine: any Engine) -> String? {
        net((engine as? EtcdEngine)?.kernelFaults?.lab ?? (engine as? FlotillaEngine)?.control.kernelFaults?.lab)
    }
}
