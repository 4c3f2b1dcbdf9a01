import NodeStorage
import Testing

@Suite("Node identity")
struct NodeIdentityTests {
    @Test("an incarnation is drawn once, survives reopening and power cuts, and a wiped directory draws anew")
    func incarnationLivesAsLongAsTheDirectory() throws {
        let disk = MemoryDisk(seed: 7)
        try disk.makeDirectory("/n1")
        let first = try NodeIdentity.loadOrCreate(directory: "/n1", disk: disk, fresh: 0xabc)
        #expect(first == 0xabc)
        disk.crash()
        #expect(try NodeIdentity.loadOrCreate(directory: "/n1", disk: disk, fresh: 0xdef) == 0xabc, "synced and renamed: a power cut keeps it")
        #expect(try disk.list("/n1") == ["identity"], "no temp file is left behind")

        let wiped = MemoryDisk(seed: 8)
        try wiped.makeDirectory("/n1")
        #expect(try NodeIdentity.loadOrCreate(directory: "/n1", disk: wiped, fresh: 0xdef) == 0xdef)
    }

    @Test("a damaged identity file is refused with its path, never replaced")
    func damagedIdentityIsRefused() throws {
        let disk = MemoryDisk(seed: 9)
        try disk.makeDirectory("/n1")
        for text in ["garbage\n", "flotilla-identity v1 incarnation=xyz\n", "flotilla-identity v1 incarnation=0000000000000000\n",
                     "flotilla-identity v1 incarnation=00000000000000ab"] {
            var f = try disk.createFile("/n1/identity")
            try f.write(Array(text.utf8), at: 0)
            f.close()
            #expect(throws: StorageError.self) { try NodeIdentity.loadOrCreate(directory: "/n1", disk: disk, fresh: 5) }
            do {
                _ = try NodeIdentity.loadOrCreate(directory: "/n1", disk: disk, fresh: 5)
            } catch {
                #expect("\(error)".contains("/n1/identity"), "\(error)")
            }
            let (_, bytes) = try disk.read("/n1/identity", limit: 100)
            #expect(bytes == Array(text.utf8), "left as it was for the operator")
        }
    }
}
