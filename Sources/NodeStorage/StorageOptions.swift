/// How a node's storage writes: segment size and whether to really sync.
public struct StorageOptions: Sendable {
    /// A WAL segment is closed and a new one started once a record would take it past this
    /// size. A record never spans segments, and no entry may encode to more than this.
    public var segmentSize: Int = 64 << 20
    /// Turn off only for throwaway test clusters: without fsync a crash can lose acknowledged writes.
    public var fsync: Bool = true

    public init() {}

    /// The smallest segment size accepted: room for a segment header and a small entry.
    public static let minimumSegmentSize = 64
    /// The largest: a record length must fit the 32-bit length field.
    public static let maximumSegmentSize = 1 << 30

    var problem: String? {
        guard segmentSize >= Self.minimumSegmentSize, segmentSize <= Self.maximumSegmentSize else {
            return "segmentSize \(segmentSize) is out of range \(Self.minimumSegmentSize)...\(Self.maximumSegmentSize)"
        }
        return nil
    }

    /// The largest segment file replay will read: a segment may overshoot `segmentSize` by one
    /// header, and its size is capped so a damaged file cannot make recovery allocate gigabytes.
    var maxSegmentFileSize: Int { 2 * segmentSize + (1 << 20) }
}
