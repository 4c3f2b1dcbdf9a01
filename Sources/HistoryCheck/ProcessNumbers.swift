/// Jepsen process numbers for a history's operations: a process runs one operation at a time
/// and is never used again after one ends in "info". A client's operation goes to the first of
/// the client's processes (client, client + n, client + 2n, ..., n the client count) that is
/// free and not crashed.
struct ProcessNumbers {
    private let stride: Int
    private var busy: Set<Int> = []
    private var crashed: Set<Int> = []
    private var running: [Int: Int] = [:]

    init(clients: [Int]) {
        stride = (clients.max() ?? 0) + 1
    }

    /// The process that starts operation `operation` for `client`.
    mutating func start(_ operation: Int, client: Int) -> Int {
        var process = client
        while busy.contains(process) || crashed.contains(process) { process += stride }
        busy.insert(process)
        running[operation] = process
        return process
    }

    /// The process that ran `operation`, now free again unless it `crashed`.
    mutating func finish(_ operation: Int, crashed: Bool) -> Int {
        let process = running.removeValue(forKey: operation)!
        busy.remove(process)
        if crashed { self.crashed.insert(process) }
        return process
    }
}
