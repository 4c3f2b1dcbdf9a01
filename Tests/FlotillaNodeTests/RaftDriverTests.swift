import FlotillaAPI
import Foundation
import Glibc
import NodeCore
import NodeStorage
import RaftCore
import Synchronization
import TaskQueue
import Testing
import TestSupport
@testable import FlotillaNode

/// The driver on real time and a real transport, over the node's own storage on an
/// in-memory disk whose faults the test sets: proposals answered, tasks run and recorded, a
/// full disk survived, a failed fsync ending the node with its reason.
@Suite("Raft driver")
struct RaftDriverTests {
    func submission(_ key: String) -> TaskSubmission { TaskSubmission(kind: "echo", args: ["text": key], key: key) }

    /// A founder over `disk` with fsync on, running no tasks, whose writes wait as long as a test may.
    func withDiskNode(_ disk: MemoryDisk, slots: Int = 0, _ body: (InProcessNode) async throws -> Void) async throws {
        try await withNode(disk: disk, fsync: true, configure: { $0.proposalTimeoutMs = 120_000; $0.slots = slots }, body)
    }

    @Test func aSubmitIsAnsweredOnceItApplies() async throws {
        try await withDiskNode(MemoryDisk(seed: 1)) { node in
            let result = try await node.api.submit(submission("k1"))
            #expect(!result.duplicate)
            #expect(await node.api.task(result.id)?.key == "k1")
            #expect(try await node.api.submit(submission("k1")) == SubmitResult(id: result.id, duplicate: true))
        }
    }

    /// The tasks handed to this node's workers start through the hook; what the workers report
    /// comes back through the inbox and is recorded.
    @Test func assignedTasksReachTheWorkersAndTheirReportsAreRecorded() async throws {
        try await withDiskNode(MemoryDisk(seed: 2), slots: 2) { node in
            let inbox = node.runtime.inbox
            let started = Mutex<[String]>([])
            await node.runtime.driver.setHooks(RaftDriver.Hooks(start: { tasks in
                for t in tasks {
                    started.withLock { $0.append(t.id) }
                    // Stamped now: a task finished in 1970 is long past retention and removed at once.
                    let now = UInt64(Date().timeIntervalSince1970 * 1000)
                    inbox.push(.report(.complete(task: t.id, node: "n1", epoch: t.epoch, result: "done by the test", at: now)))
                }
            }))
            let id = try await node.api.submit(submission("k1")).id
            try await eventually("the task to succeed") { await node.api.task(id)?.state == .succeeded }
            #expect(await node.api.task(id)?.result == "done by the test")
            #expect(started.withLock { $0 } == [id])
        }
    }

    /// A full disk: the batch is held, new writes are refused with a `storage` error naming the
    /// problem, reads and status go on, and once space returns the held write completes.
    @Test func aFullDiskRefusesWritesKeepsServingReadsAndResumesByItself() async throws {
        let disk = MemoryDisk(seed: 3)
        try await withDiskNode(disk) { node in
            let before = try await node.api.submit(submission("before"))
            disk.faults.spaceLeft = 0
            let held = Task { try await node.api.submit(submission("held")) }
            try await eventually("the status to show the full disk") { node.api.status.storageError?.contains("No space left") == true }
            do {
                _ = try await node.api.submit(submission("refused"))
                Issue.record("a write was accepted while the disk refuses writes")
            } catch let error as APIError {
                #expect(error.code == .storage, "\(error)")
                #expect(error.error.contains("No space left on device"))
        }
        #expect(await node.api.task(before.id) != nil, "reads are served")
        #expect(node.api.status.role == .leader)
        disk.faults.spaceLeft = nil
        try await eventually("the node to take writes again", timeout: .seconds(30)) { node.api.status.storageError == nil }
        let heldResult = try await held.value
        #expect(await node.api.task(heldResult.id)?.key == "held")
        let after = try await node.api.submit(submission("after"))
        #expect(await node.api.tasks(state: nil, node: nil, limit: 10).tasks.map(\.key).sorted() == ["after", "before", "held"])
        #expect(after.id != heldResult.id)
        }
    }

    /// A node that notices it broke a safety property stops at once, saying which.
    @Test func anInvariantViolationEndsTheNodeWithItsReason() async throws {
        try await withDiskNode(MemoryDisk(seed: 5)) { node in
            let reason = Mutex<String?>(nil)
            await node.runtime.driver.setHooks(RaftDriver.Hooks(fatal: { message in reason.withLock { $0 = message } }))
            await node.runtime.driver.record(.invariant("n1: commit went back from 7 to 5"))
            #expect(reason.withLock { $0 } == "invariant violated: n1: commit went back from 7 to 5")
        }
    }

    /// An fsync that fails cannot be retried: the node answers its waiting writes and stops,
    /// handing the reason to the hook that ends the process.
    @Test func aFailedFsyncEndsTheNodeWithItsReason() async throws {
        let disk = MemoryDisk(seed: 4)
        try await withDiskNode(disk) { node in
            let reason = Mutex<String?>(nil)
            await node.runtime.driver.setHooks(RaftDriver.Hooks(fatal: { message in reason.withLock { $0 = message } }))
            disk.faults.failFsync = EIO
            do {
                _ = try await node.api.submit(submission("k1"))
                Issue.record("a write was acknowledged although its fsync failed")
            } catch let error as APIError {
                #expect(error.code == .storage, "\(error)")
        }
        try await eventually("the fatal hook") { reason.withLock { $0 } != nil }
        #expect(reason.withLock { $0 }?.contains("fsync") == true)
        #expect(node.api.status.storageError?.contains("fsync") == true)
        }
    }
}
