import FlotillaAPI
import Foundation

/// A load on Flotilla's nodes: each write is a task submit to the leader, keyed by the load key
/// (the node's idempotency key, so a retry never runs twice); each read is the newest page of
/// the task table, read linearizably (ReadIndex on the leader). A table larger than a page, or
/// one retention has trimmed, is read in part: the read vouches for the newest tasks, down to
/// the first one missing from its page.
public actor FlotillaLoadClient: LoadClient {
    let control: ClusterControl
    private var target: String?

    public init(control: ClusterControl) { self.control = control }

    public nonisolated var events: EventSink { control.events }

    public func write(_ key: String, _ submission: TaskSubmission, fresh: Bool) async throws -> LoadWrite {
        let address: String
        do {
            address = try await self.address(refresh: fresh)
        } catch {
            // Nothing answered, so nothing was sent: a refusal.
            throw APIError("not sent: \(error)", code: APIErrorCode.noLeader)
        }
        var one = submission
        one.key = key
        do {
            let r: SubmitResult = try await control.admin.call("POST", address, "/v1/tasks", body: one, timeout: .seconds(6))
            return LoadWrite(id: r.id, position: TaskView.number(of: r.id))
        } catch {
            target = nil
            throw error
        }
    }

    public func read(prefix: String, limit: Int) async throws -> LoadRead {
        do {
            let address = try await self.address(refresh: false)
            let list = try await control.tasksPage(at: address, limit: limit, after: nil, ascending: false, linearizable: true,
                                                   timeout: .seconds(6))
            let keys = list.tasks.map(\.key).filter { $0.hasPrefix(prefix) }.sorted()
            // A node too old to count removed tasks had no retention: a page that ends is all of it.
            guard let removed = list.removed else { return LoadRead(keys: keys, complete: list.next == nil) }
            guard let from = Self.scope(ids: list.tasks.map(\.id), total: list.total, removed: removed) else {
                return LoadRead(keys: keys, complete: false)
            }
            // From the first task on, it is the whole table: every key counts, placed or not.
            return LoadRead(keys: keys, complete: true, from: from > 1 ? from : nil)
        } catch {
            target = nil
            throw error
        }
    }

    /// The lowest task number from which a page of the newest tasks holds every task, so every
    /// key placed there: task ids are made in order (t-1, t-2, …) and never reused, so the
    /// table has made `total + removed` of them, and the page holds each from the newest down
    /// to the first gap (a task retention removed, or the page's end). With the newest task
    /// itself gone, that is only the tasks still to come. Nil for ids not of that form.
    static func scope(ids: [String], total: Int, removed: Int) -> Int? {
        let numbers = ids.compactMap(TaskView.number(of:))
        guard numbers.count == ids.count else { return nil }
        let held = Set(numbers)
        var from = total + removed + 1
        while from > 1, held.contains(from - 1) { from -= 1 }
        return from
    }

    public nonisolated func refusedBeforeProposing(_ error: any Error) -> Bool { LoadGenerator.refusedBeforeProposing(error) }

    public nonisolated func isFinal(_ error: any Error) -> Bool {
        guard let e = error as? APIError else { return false }
        return e.code == APIErrorCode.badRequest || e.code == APIErrorCode.unauthorized
    }

    private func address(refresh: Bool) async throws -> String {
        if let target, !refresh { return target }
        let s = await control.client.poll()
        let a = try control.writeAddress(s)
        target = a
        return a
    }
}
