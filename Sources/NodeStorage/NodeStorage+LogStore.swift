import NodeCore
import RaftCore

extension NodeStorage: LogStore {
    public func persist(hardState: HardState?, entries: [Entry], snapshot: Snapshot?) throws(LogStoreFailure) {
        do {
            try save(hardState: hardState, entries: entries, snapshot: snapshot)
        } catch {
            throw LogStoreFailure(error.description, retryable: error.isRetryable)
        }
    }

    public func persist(hardState: HardState?, entries: [Entry], snapshot: Snapshot?, prepared: PreparedSnapshot?) throws(LogStoreFailure) {
        do {
            try save(hardState: hardState, entries: entries, snapshot: snapshot, prepared: prepared)
        } catch {
            throw LogStoreFailure(error.description, retryable: error.isRetryable)
        }
    }

    public func persist(snapshot: Snapshot, prepared: PreparedSnapshot?) throws(LogStoreFailure) {
        do {
            try saveSnapshot(snapshot, prepared: prepared)
        } catch {
            throw LogStoreFailure(error.description, retryable: error.isRetryable)
        }
    }
}
