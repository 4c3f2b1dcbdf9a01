import FlotillaAPI
import Foundation

/// A load on etcd: each write is a put of the load key (its value names the load), each read a
/// linearizable range read of the load's keys. Writes and reads go to one member at a time, the
/// next one after a member fails to answer. A put whose connection was refused never reached
/// etcd, and one etcd answered 400 it could not parse; anything else (a timeout, "request timed
/// out", "leader changed", a reset) may have been proposed and may still take effect, so its
/// outcome is unknown, as `EtcdWorkload` counts it.
public actor EtcdLoadClient: LoadClient {
    let engine: EtcdEngine
    private var endpoints: [String] = []
    private var next = 0

    public init(engine: EtcdEngine) { self.engine = engine }

    public nonisolated var events: EventSink { engine.events }
    /// The plan's task kind and arguments are Flotilla's; etcd takes each write as a put.
    public nonisolated var writeNoun: String? { "puts" }

    /// A put; the key's place is the revision that created it (a retry's put finds the key
    /// its first, unanswered, put may have created, and gives that one).
    public func write(_ key: String, _ submission: TaskSubmission, fresh: Bool) async throws -> LoadWrite {
        let created = try await atCurrentMember(fresh: fresh) { try await engine.client.put($0, key: key, value: submission.kind, timeout: .seconds(3)) }
        return LoadWrite(position: created)
    }

    /// The newest-created keys of the load, a page of them: with more than a page, the read
    /// vouches for the keys created from the oldest revision it holds on (the load never
    /// deletes a key, so none of those is missing).
    public func read(prefix: String, limit: Int) async throws -> LoadRead {
        let (keys, more, oldest) = try await atCurrentMember(fresh: false) {
            try await engine.client.keys($0, prefix: prefix, limit: limit, timeout: .seconds(3))
        }
        guard more else { return LoadRead(keys: keys.sorted(), complete: true) }
        return LoadRead(keys: keys.sorted(), complete: oldest != nil, from: oldest)
    }

    public nonisolated func refusedBeforeProposing(_ error: any Error) -> Bool {
        guard let e = error as? EtcdError else { return false }
        return e.refused || e.status == 400
    }

    public nonisolated func isFinal(_ error: any Error) -> Bool {
        guard let status = (error as? EtcdError)?.status else { return false }
        return status == 400 || status == 401 || status == 403
    }

    /// A member's client address to send to; the member list is read again when asked, or when
    /// none is known yet.
    private func address(fresh: Bool) async throws -> String {
        if endpoints.isEmpty || fresh {
            let s = await engine.snapshot()
            let live = s.live.map(\.adminAddress)
            if !live.isEmpty { endpoints = live }
        }
        guard let address = current else { throw EtcdError(address: "-", status: nil, message: "no etcd member answers", refused: true) }
        return address
    }

    /// The member requests go to now; nil while none is known.
    private var current: String? { endpoints.isEmpty ? nil : endpoints[next % endpoints.count] }

    /// Sends `request` to the current member. When it fails (refused, or an outcome unknown), the
    /// next request goes to the member after it, unless another failure moved on already.
    private func atCurrentMember<T: Sendable>(fresh: Bool, _ request: (String) async throws -> T) async throws -> T {
        let address = try await self.address(fresh: fresh)
        do {
            return try await request(address)
        } catch {
            if current == address { next += 1 }
            throw error
        }
    }
}
