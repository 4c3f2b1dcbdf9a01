import FlotillaAPI
import TaskQueue

extension TaskView {
    init(_ t: TaskRecord) {
        self.init(id: t.id, key: t.key, kind: t.spec.kind, args: t.spec.args, target: t.spec.target, state: .init(t.state),
                  node: t.node, epoch: t.epoch, attempts: t.attempts, maxAttempts: t.spec.maxAttempts,
                  submittedAt: t.submittedAt, updatedAt: t.updatedAt, result: t.result, error: t.error,
                  startedAt: t.startedAt)
    }
}
