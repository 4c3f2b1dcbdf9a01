#if canImport(Glibc)
import Glibc
#endif
import HummingbirdCore

/// When the admin server accepts another connection: while it serves fewer than
/// `maxConnections`, and keeps `reserve` descriptors (at most half the open-file limit, read
/// afresh each time, so a limit lowered at run time counts) free for what must not fail for
/// want of one: WAL segments, snapshots, peer links, task processes, and the runtime's own
/// reads of /proc (libdispatch traps when it cannot open one). While the server is full, the
/// oldest connection that has sent no request head for 250 ms is closed to make room
/// (`HeadlessConnections`); when every connection has sent one, the next ones wait in the
/// listen backlog, and the kernel refuses them once that is full.
struct DescriptorBudget: AvailableConnectionsDelegate {
    let maxConnections: Int
    let reserve: Int
    let headless: HeadlessConnections
    private(set) var open = 0

    init(maxConnections: Int, reserve: Int = DescriptorBudget.defaultReserve, headless: HeadlessConnections = HeadlessConnections()) {
        self.maxConnections = maxConnections
        self.reserve = reserve
        self.headless = headless
    }

    /// Descriptors kept free of admin connections.
    static let defaultReserve = 128

    mutating func connectionOpened() {
        open += 1
        if open >= capacity { headless.serverIsFull(true) }
    }

    mutating func connectionClosed() {
        open -= 1
        headless.serverIsFull(open >= capacity)
    }

    func isAcceptingNewConnections() -> Bool { open < capacity }

    /// The connections served at once: `maxConnections`, less what the descriptor reserve needs.
    private var capacity: Int {
        let limit = Self.openFileLimit()
        return min(maxConnections, limit - min(reserve, limit / 2))
    }

    /// The process's soft limit on open files.
    static func openFileLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return Int.max }
        return Int(clamping: limit.rlim_cur)  // RLIM_INFINITY is the largest rlim_t
    }

    /// Raises the soft open-file limit to the hard one, as far as the system allows: the
    /// default soft limit (often 1024) is far below what a busy node may hold.
    static func raiseOpenFileLimit() {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
    }
}
