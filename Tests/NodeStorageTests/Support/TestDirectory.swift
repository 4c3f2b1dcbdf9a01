import Foundation

/// A fresh directory under the system temp directory, removed when the body returns.
func withTestDirectory<R>(_ body: (String) throws -> R) rethrows -> R {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("nodestorage-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try body(path)
}

/// Small file helpers for damaging a data directory on purpose.
enum Disk {
    static func read(_ path: String) -> [UInt8] {
        [UInt8](FileManager.default.contents(atPath: path) ?? Data())
    }

    static func write(_ path: String, _ bytes: [UInt8]) {
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
    }

    static func size(_ path: String) -> Int { read(path).count }

    static func flipBit(_ path: String, byte: Int, bit: Int) {
        var b = read(path)
        b[byte] ^= UInt8(1 << bit)
        write(path, b)
    }

    static func truncate(_ path: String, to size: Int) {
        write(path, Array(read(path).prefix(size)))
    }

    /// Full paths of `wal/wal-*.log`, oldest first.
    static func segments(_ dir: String) -> [String] {
        files(dir + "/wal").filter { $0.hasSuffix(".log") }
    }

    /// Full paths of `snap/*`, sorted.
    static func snapshots(_ dir: String) -> [String] { files(dir + "/snap") }

    static func files(_ dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted().map { dir + "/" + $0 }
    }

    static func name(_ path: String) -> String { String(path.split(separator: "/").last!) }
}
