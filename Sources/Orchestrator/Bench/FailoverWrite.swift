import FlotillaAPI
import Foundation

/// One client write through a member's client address, as the failover benchmark sends it: a
/// task submit to Flotilla's node, a put to etcd. True when the cluster acknowledged it.
public struct FailoverWrite: Sendable {
    public let send: @Sendable (_ address: String, _ key: String) async -> Bool

    public init(send: @escaping @Sendable (_ address: String, _ key: String) async -> Bool) {
        self.send = send
    }

    /// An echo task with `key` as its idempotency key, through the admin API.
    public static func flotilla(_ control: ClusterControl) -> FailoverWrite {
        FailoverWrite { address, key in
            let probe = TaskSubmission(kind: "echo", args: ["text": "failover"], key: key)
            let done: SubmitResult? = try? await control.admin.call("POST", address, "/v1/tasks", body: probe, timeout: .seconds(2))
            return done != nil
        }
    }

    /// A put of `key` through etcd's JSON gateway.
    public static func etcd(_ engine: EtcdEngine) -> FailoverWrite {
        FailoverWrite { address, key in
            do {
                try await engine.client.put(address, key: "flotilla-bench/\(key)", value: key, timeout: .seconds(2))
                return true
            } catch {
                return false
            }
        }
    }
}
