import FlotillaAPI
import Foundation

/// A load on Flotilla's nodes: each write is a task submit to the leader, keyed by the load key
/// (the node's idempotency key, so a retry never runs twice); each read is the newest page of
/// the task table, read linearizably (ReadIndex on the leader).
public actor FlotillaLoadClient: LoadClient {
    let control: ClusterControl
    private var target: String?
    /// Tasks retention had removed when the first read came: a later read after more were
    /// removed may miss a key because it was removed, so its absences prove nothing.
    private var removedAtFirstRead: Int?

    public init(control: ClusterControl) { self.control = control }

    public nonisolated var events: EventSink { control.events }

    public func write(_ key: String, _ submission: TaskSubmission, fresh: Bool) async throws -> String? {
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
            return r.id
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
            let removed = list.removed ?? 0
            if removedAtFirstRead == nil { removedAtFirstRead = removed }
            return LoadRead(keys: list.tasks.map(\.key).filter { $0.hasPrefix(prefix) }.sorted(),
                            complete: list.next == nil && removed == removedAtFirstRead)
        } catch {
            target = nil
            throw error
        }
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
