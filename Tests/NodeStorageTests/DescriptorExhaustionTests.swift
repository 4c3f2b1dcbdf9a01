import Glibc
import RaftCore
import Testing
@testable import NodeStorage

/// Running out of descriptors at a WAL segment switch is transient: the batch is taken back,
/// the error is one the node retries (NodeCore holds the batch and retries it, as for a full
/// disk), and once a descriptor is free the same batch is written.
@Suite("Descriptor exhaustion")
struct DescriptorExhaustionTests {
    @Test func aSegmentSwitchWithoutADescriptorIsUndoneAndRetryable() throws {
        try withTestDirectory { dir in
            let disk = DescriptorStarvedDisk()
            let options = StorageOptions.with(segmentSize: 128)
            var model = Model()
            try withStorage(dir, options, on: disk) { storage, _ in
                let first = Batch(hardState: HardState(term: 1), entries: entries(1...3, size: 20))
                try storage.save(first)
                model.apply(first)
                let before = Disk.segments(dir).map { ($0, Disk.size($0)) }
                let big = Batch(hardState: HardState(term: 2), entries: entries(4...30, size: 20))
                disk.starved = true
                #expect {
                    try storage.save(big)
                } throws: { error in
                    guard let error = error as? StorageError, case .io("open", _, EMFILE) = error else { return false }
                    return error.isRetryable
                }
                #expect(Disk.segments(dir).map { ($0, Disk.size($0)) }.elementsEqual(before) { $0 == $1 }, "the batch was taken back")
                disk.starved = false
                try storage.save(big)
                model.apply(big)
            }
            #expect(try reopen(dir, options) == model)
        }
    }
}
