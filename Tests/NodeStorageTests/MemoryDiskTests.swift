import BinaryCoding
import Glibc
import Testing
@testable import NodeStorage

/// `MemoryDisk` on its own: what survives a crash, what a crash may tear, locks, faults.
@Suite("Memory disk")
struct MemoryDiskTests {
    func contents(_ disk: MemoryDisk, _ path: String) -> [UInt8]? {
        try? disk.read(path, limit: .max).bytes
    }

    func bytes(_ range: Range<Int>, salt: Int = 0) -> [UInt8] {
        range.map { UInt8(truncatingIfNeeded: $0 &* 7 &+ salt) }
    }

    /// One synced write then one unsynced one, crashed under `seed`.
    func crashAfterUnsyncedWrite(seed: UInt64) throws -> [UInt8] {
        let disk = MemoryDisk(seed: seed)
        try disk.makeDirectory("/d")
        var file = try disk.createFile("/d/f")
        try disk.syncDirectory("/d")
        try file.write(bytes(0..<100), at: 0)
        try file.sync()
        try file.write(bytes(100..<200), at: 100)
        file.close()
        disk.crash()
        return try #require(contents(disk, "/d/f"))
    }

    @Test func syncedBytesSurviveAndUnsyncedOnesSurviveAsAPrefixOrZeros() throws {
        var lost = 0, whole = 0, cut = 0, zeroed = 0
        for seed: UInt64 in 0..<200 {
            let after = try crashAfterUnsyncedWrite(seed: seed)
            #expect(after.count >= 100 && after.count <= 200, "seed \(seed)")
            #expect(Array(after.prefix(100)) == bytes(0..<100), "seed \(seed): synced bytes are kept")
            let tail = Array(after.dropFirst(100))
            switch tail.count {
            case 0: lost += 1
            case 100: #expect(tail == bytes(100..<200)); whole += 1
            default:
                if tail == bytes(100..<(100 + tail.count)) {
                    cut += 1
                } else {
                    #expect(tail.allSatisfy { $0 == 0 }, "seed \(seed): a torn write is a prefix or zeros")
                    zeroed += 1
                }
            }
        }
        #expect(lost > 10 && whole > 10 && cut > 10 && zeroed > 0, "\(lost) lost, \(whole) whole, \(cut) cut, \(zeroed) zeroed")
    }

    @Test func theSameSeedCrashesTheSameWay() throws {
        let outcomes = try (0..<20).map { try crashAfterUnsyncedWrite(seed: $0) }
        #expect(try (0..<20).map { try crashAfterUnsyncedWrite(seed: $0) } == outcomes)
        #expect(Set(outcomes).count > 3, "different seeds choose differently")
    }

    @Test func laterUnsyncedWritesNeverSurviveWithoutEarlierOnes() throws {
        for seed: UInt64 in 0..<100 {
            let disk = MemoryDisk(seed: seed)
            var file = try disk.createFile("f")
            try disk.syncDirectory(".")
            for k in 0..<5 { try file.write(bytes((k * 10)..<(k * 10 + 10), salt: 1), at: k * 10) }
            file.close()
            disk.crash()
            let after = try #require(contents(disk, "f"))
            #expect(after.count <= 50)
            let intact = zip(after, bytes(0..<50, salt: 1)).prefix { $0 == $1 }.count
            #expect(after.dropFirst(intact).allSatisfy { $0 == 0 }, "seed \(seed): \(after)")
        }
    }

    @Test func unsyncedTruncationsAndOverwritesAreUndoneInOrder() throws {
        var seen: Set<[UInt8]> = []
        for seed: UInt64 in 0..<100 {
            let disk = MemoryDisk(seed: seed)
            var file = try disk.createFile("f")
            try disk.syncDirectory(".")
            try file.write([1, 2, 3, 4, 5, 6], at: 0)
            try file.sync()
            try file.truncate(to: 2)
            try file.write([9, 9], at: 1)
            file.close()
            disk.crash()
            let after = try #require(contents(disk, "f"))
            #expect([[1, 2, 3, 4, 5, 6], [1, 2], [1, 9], [1, 9, 9]].contains(after), "seed \(seed): \(after)")
            seen.insert(after)
        }
        #expect(seen.count == 4)
    }

    @Test func directoryChangesNeedADirectorySync() throws {
        var created = 0, renamed = 0, removed = 0
        for seed: UInt64 in 0..<100 {
            let disk = MemoryDisk(seed: seed)
            try disk.makeDirectory("/d")
            for name in ["a", "b"] {
                var f = try disk.createFile("/d/" + name)
                try f.write(Array(name.utf8), at: 0)
                try f.sync()
                f.close()
            }
            try disk.syncDirectory("/d")
            var c = try disk.createFile("/d/c")
            try c.sync()
            c.close()
            try disk.rename("/d/a", to: "/d/b")
            try disk.remove("/d/b") // removes what was "a"
            #expect(try disk.list("/d") == ["c"])
            disk.crash()
            let names = try disk.list("/d")
            // The three operations are journaled in order: a prefix of them survives.
            #expect([["a", "b"], ["a", "b", "c"], ["b", "c"], ["c"]].contains(names), "seed \(seed): \(names)")
            if names.contains("c") { created += 1 }
            if names == ["b", "c"] {
                renamed += 1
                #expect(contents(disk, "/d/b") == Array("a".utf8), "a rename carries the file with it")
            }
            if names == ["c"] { removed += 1 }
        }
        #expect(created > 10 && created < 90 && renamed > 5 && removed > 5)

        let disk = MemoryDisk(seed: 1)
        try disk.makeDirectory("/d")
        var f = try disk.createFile("/d/x")
        f.close()
        try disk.syncDirectory("/d")
        try disk.remove("/d/x")
        try disk.syncDirectory("/d")
        disk.crash()
        #expect(try disk.list("/d").isEmpty, "a synced remove stays removed")
    }

    @Test func aRemovedFileStaysWritableThroughItsOpenHandle() throws {
        let disk = MemoryDisk(seed: 3)
        var f = try disk.createFile("f")
        try disk.remove("f")
        try f.write([1, 2, 3], at: 0)
        #expect(try f.size() == 3)
        f.close()
        #expect(throws: StorageError.io(operation: "open", file: "f", errno: ENOENT)) { _ = try disk.openFile("f") }
    }

    @Test func listingsAreSortedAndPathsCheckedLikeAFileSystem() throws {
        let disk = MemoryDisk(seed: 4)
        try disk.makeDirectory("/d")
        try disk.makeDirectory("/d")
        for name in ["m", "b", "z", "a"] {
            var f = try disk.createFile("/d/" + name)
            f.close()
        }
        try disk.makeDirectory("/d/sub")
        #expect(try disk.list("/d") == ["a", "b", "m", "sub", "z"])
        #expect(throws: StorageError.io(operation: "list", file: "/nope", errno: ENOENT)) { _ = try disk.list("/nope") }
        #expect(throws: StorageError.io(operation: "open", file: "/nope/f", errno: ENOENT)) { _ = try disk.createFile("/nope/f") }
        #expect(throws: StorageError.io(operation: "create directory", file: "/x/y", errno: ENOENT)) { try disk.makeDirectory("/x/y") }
        #expect(throws: StorageError.io(operation: "open", file: "/d/sub", errno: EISDIR)) { _ = try disk.openFile("/d/sub") }
        #expect(throws: StorageError.io(operation: "remove", file: "/d/q", errno: ENOENT)) { try disk.remove("/d/q") }
        try disk.removeIfPresent("/d/q")
    }

    @Test func aLockIsHeldUntilClosedOrCrashed() throws {
        let disk = MemoryDisk(seed: 5)
        var lock = try disk.lock("LOCK")
        #expect(throws: StorageError.io(operation: "lock", file: "LOCK", errno: EWOULDBLOCK)) { _ = try disk.lock("LOCK") }
        var other = try disk.lock("OTHER")
        lock.close()
        lock = try disk.lock("LOCK")
        disk.crash()
        var fresh = try disk.lock("LOCK")
        lock.close() // from before the crash: must not release the new holder's lock
        other.close()
        #expect(throws: StorageError.io(operation: "lock", file: "LOCK", errno: EWOULDBLOCK)) { _ = try disk.lock("LOCK") }
        fresh.close()
        _ = try disk.lock("LOCK")
    }

    @Test func filesOpenedBeforeACrashAreDead() throws {
        let disk = MemoryDisk(seed: 6)
        let f = try disk.createFile("f")
        disk.crash()
        #expect(throws: StorageError.io(operation: "write to", file: "f", errno: EBADF)) { try f.write([1], at: 0) }
        #expect(throws: StorageError.io(operation: "fsync", file: "f", errno: EBADF)) { try f.sync() }
    }

    @Test func aFullDiskWritesWhatFitsThenFailsWithNoSpace() throws {
        let disk = MemoryDisk(seed: 7)
        var f = try disk.createFile("f")
        disk.faults.spaceLeft = 5
        #expect(throws: StorageError.io(operation: "write to", file: "f", errno: ENOSPC)) { try f.write(bytes(0..<8), at: 0) }
        #expect(contents(disk, "f") == bytes(0..<5))
        #expect(throws: StorageError.io(operation: "write to", file: "f", errno: ENOSPC)) { try f.write([1], at: 5) }
        disk.faults.spaceLeft = 3
        try f.write(bytes(5..<8), at: 5)
        #expect(contents(disk, "f") == bytes(0..<8))
        disk.faults.failFsync = EIO
        #expect(throws: StorageError.io(operation: "fsync", file: "f", errno: EIO)) { try f.sync() }
        #expect(throws: StorageError.io(operation: "fsync", file: ".", errno: EIO)) { try disk.syncDirectory(".") }
        f.close()
    }

    @Test func aScheduledPowerCutStopsTheDiskUntilItComesBack() throws {
        let disk = MemoryDisk(seed: 8)
        var f = try disk.createFile("f")
        try disk.syncDirectory(".")
        try f.write([1, 2], at: 0)
        try f.sync()
        disk.crash(afterOperations: 1)
        try f.write([3, 4], at: 2)
        #expect(throws: StorageError.io(operation: "fsync", file: "f", errno: EIO)) { try f.sync() }
        #expect(throws: StorageError.io(operation: "open", file: "g", errno: EIO)) { _ = try disk.createFile("g") }
        f.close()
        disk.crash()
        let after = try #require(contents(disk, "f"))
        #expect([[1, 2], [1, 2, 3], [1, 2, 0], [1, 2, 3, 4]].contains(after))
        #expect(try disk.list(".") == ["f"])
    }
}
