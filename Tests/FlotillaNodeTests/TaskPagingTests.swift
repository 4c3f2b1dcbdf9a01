import FlotillaAPI
import Foundation
import Hummingbird
import HummingbirdTesting
import NodeCore
import Testing
import TestSupport
@testable import FlotillaNode

/// `GET /v1/tasks` a page at a time, on a node whose retention removes finished (here:
/// cancelled) tasks while the walk goes on and whose clients keep submitting.
@Suite("Task paging")
struct TaskPagingTests {
    @Test func aCursorWalkVisitsEveryTaskOnceWhileTasksAreAddedAndRemoved() async throws {
        try await withNode(configure: { $0.retention = Retention(finishedMs: 3_600_000, keepFinished: 15, keyWindowMs: 600_000) }) { node in
            try await node.application().test(.router) { client in
                /// Submits a task and cancels it: a finished task (this node runs no workers).
                func submit(_ key: String) async throws -> String {
                    let r = try await client.send(.post, "/v1/tasks", json: #"{"kind":"echo","key":"\#(key)","args":{"text":"x"}}"#)
                    #expect(r.status == .created, "\(r.text)")
                    let id = try r.decode(SubmitResult.self).id
                    let cancel = try await client.send(.post, "/v1/tasks/\(id)/cancel")
                    #expect(cancel.status == .ok, "\(cancel.text)")
                    return id
                }
                for i in 0..<60 { _ = try await submit("before-\(i)") }
                // Retention has begun removing: the walk starts on a table with gaps.
                try await eventually("tasks removed", timeout: .seconds(30)) { (node.api.status.tasks.removed ?? 0) > 0 }
                var visited: [String] = []
                var after: String?
                var pages = 0
                var added = 0
                repeat {
                    if pages < 6 {
                        // Added and (by retention) removed between pages; before the read, so the
                        // page that ends the walk comes after the last of them.
                        for _ in 0..<3 { _ = try await submit("during-\(added)"); added += 1 }
                    }
                    let r = try await client.send(.get, "/v1/tasks?order=asc&limit=7" + (after.map { "&after=\($0)" } ?? ""))
                    #expect(r.status == .ok, "\(r.text)")
                    let page = try r.decode(TaskList.self)
                    #expect(page.tasks.count <= 7)
                    visited += page.tasks.map(\.id)
                    after = page.next
                    pages += 1
                } while after != nil && pages < 200
                #expect(after == nil, "the walk ended")
                let numbers = visited.compactMap { Int($0.dropFirst(2)) }
                #expect(numbers.count == visited.count)
                #expect(Set(numbers).count == numbers.count, "no task twice: \(visited)")
                #expect(numbers == numbers.sorted(), "in id order")
                #expect(numbers.last == 60 + added, "tasks added during the walk are reached: \(visited)")
                // Every task held now was visited.
                let all = try await client.send(.get, "/v1/tasks?limit=1000").decode(TaskList.self)
                #expect(all.next == nil && all.tasks.count == all.total)
                #expect(Set(all.tasks.map(\.id)).isSubset(of: Set(visited)), "every task still held was visited")
                // Newest first by default, and a removed task says so.
                let newest = try await client.send(.get, "/v1/tasks?limit=2").decode(TaskList.self)
                #expect(newest.tasks.map(\.id) == ["t-\(60 + added)", "t-\(59 + added)"] && newest.next == "t-\(59 + added)")
                let gone = try await client.send(.get, "/v1/tasks/t-1")
                #expect(gone.status == .notFound && gone.apiError?.error.contains("retention") == true, "\(gone.text)")
                // A retry of a removed task's key inside the key window: the same task, no new one.
                let retry = try await client.send(.post, "/v1/tasks", json: #"{"kind":"echo","key":"before-0","args":{"text":"x"}}"#)
                #expect(retry.status == .ok, "\(retry.text)")
                #expect(try retry.decode(SubmitResult.self) == SubmitResult(id: "t-1", duplicate: true, removed: true))
                let keys = try await client.send(.get, "/v1/keys?limit=1000").decode(RemovedKeyList.self)
                #expect(keys.keys.first == RemovedKeyView(key: "before-0", id: "t-1", submittedAt: keys.keys.first?.submittedAt ?? 0))
                #expect(keys.keys.count == keys.removed)
            }
        }
    }
}
