import Foundation

/// A task executor with threads of its own, for long CPU-bound test bodies (simulations,
/// fuzzers). On the shared cooperative pool (one thread per core) such a body would freeze
/// every other test while it runs, and with them every timer those tests wait on.
public final class DedicatedThreads: TaskExecutor, @unchecked Sendable {
    public static let shared = DedicatedThreads(count: 2)

    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []

    public init(count: Int) {
        for i in 0..<count {
            let thread = Thread { [unowned self] in self.work() }
            thread.name = "test-heavy-\(i)"
            thread.start()
        }
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func work() {
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}

/// Runs a CPU-heavy test body on `DedicatedThreads`, still inside the test's own task, so
/// `#expect` and `Issue.record` inside it are attributed to the test as usual.
public func heavy<T: Sendable>(_ body: () async throws -> T) async rethrows -> T {
    try await withTaskExecutorPreference(DedicatedThreads.shared, operation: body)
}
