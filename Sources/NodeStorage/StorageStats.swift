/// Counters for metrics and the status endpoint.
public struct StorageStats: Sendable, Equatable {
    /// WAL segment files on disk.
    public var segments: Int = 0
    /// Total size of the WAL segment files.
    public var bytes: Int = 0
    /// Snapshot files on disk.
    public var snapshots: Int = 0
    /// How long the last WAL fsync took, in seconds (0 before the first).
    public var lastFsyncSeconds: Double = 0
    /// WAL fsyncs since open (a group commit is one, plus one per segment rollover).
    public var fsyncCount: Int = 0
    /// WAL records written since open.
    public var recordsWritten: Int = 0

    public init() {}
}
