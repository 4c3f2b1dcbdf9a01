import CSpawn

/// Hands the heap's free pages back to the OS after the node drops a lot of memory at once:
/// the startup replay (WAL segments and a decoded snapshot), a compaction (the encoded snapshot
/// and the entries it replaces) or an installed snapshot. glibc keeps such pages otherwise, and
/// a node holding 100k tasks then reports ~20 MB more resident memory than it uses.
enum HeapRelease {
    /// Caps glibc's malloc arenas at two, once, as the node opens (arenas made before stay). By default
    /// glibc hands busy threads arenas of their own (up to eight per core), and memory freed in
    /// one is not reused by another: identical nodes under the same load ended up tens of MB
    /// apart in resident size.
    ///
    /// It also fixes glibc's mmap and trim thresholds at 128 KiB. By default they slide up (to
    /// 32 MiB) each time a large block is freed, after which the task table's growing arrays and
    /// the encoded snapshots are carved from the heap and leave it fragmented: the leader of a
    /// 34k-task run held 34 MB private against 24 MB with the thresholds fixed.
    static let tuneAllocator: Void = {
        _ = flotilla_malloc_arena_max(2)
        _ = flotilla_malloc_fixed_thresholds(128 * 1024)
    }()

    /// Trims off the Raft loop, at background priority: it walks the heap, a few milliseconds.
    static func soon() {
        Task.detached(priority: .background) { _ = flotilla_malloc_trim() }
    }
}
