import BinaryCoding
import RaftCore

/// A snapshot on disk, `snap/snap-<index as %016llx>.bin`:
///
///     magic    "FLSN"                      4 bytes
///     version  1                           u8
///     metadata SnapshotMetadata.encode     index, term (varints), hash (u64 LE), membership
///     length   data length                 u64 LE
///     data     the state machine's bytes   `length` bytes
///     crc      CRC-32C of all the above    u32 LE
///
/// It is written to `….bin.tmp`, fsynced, renamed into place and the directory fsynced, so a
/// crash leaves either the whole file or none of it.
enum SnapshotFile {
    static let magic: [UInt8] = Array("FLSN".utf8)
    static let version: UInt8 = 1

    static func name(index: UInt64) -> String { "snap-\(hex16(index)).bin" }

    /// The index in a snapshot file name, or nil for any other name (temp files included).
    static func index(fromName name: String) -> UInt64? {
        parseHex16(name, prefix: "snap-", suffix: ".bin")
    }

    /// Everything before the data.
    static func header(_ s: Snapshot) -> [UInt8] {
        var w = ByteWriter(capacity: 128)
        for b in magic { w.write(b) }
        w.write(version)
        s.metadata.encode(into: &w)
        w.write(fixed: UInt64(s.data.count))
        return w.bytes
    }

    static func encode(_ s: Snapshot) -> [UInt8] {
        var out = header(s)
        out.append(contentsOf: s.data)
        WALRecord.appendLE(CRC32C.checksum(out), to: &out)
        return out
    }

    /// Decodes and verifies a whole snapshot file; any damage is `.corrupt` naming `path`.
    static func decode(_ bytes: [UInt8], path: String) throws(StorageError) -> Snapshot {
        let minimum = magic.count + 1 + 4
        guard bytes.count >= minimum else {
            throw .corrupt(file: path, offset: 0, reason: "snapshot file is \(bytes.count) bytes, too short to be one")
        }
        let body = bytes[..<(bytes.count - 4)]
        let stored = WALRecord.readLE(bytes, at: bytes.count - 4)
        let computed = CRC32C.checksum(body)
        guard stored == computed else {
            throw .corrupt(file: path, offset: bytes.count - 4,
                           reason: "snapshot checksum mismatch (stored \(WALSegmentReader.hex(stored)), computed \(WALSegmentReader.hex(computed)))")
        }
        guard Array(bytes[0..<magic.count]) == magic else {
            throw .corrupt(file: path, offset: 0, reason: "not a snapshot file (bad magic)")
        }
        guard bytes[magic.count] == version else {
            throw .corrupt(file: path, offset: magic.count, reason: "unsupported snapshot format version \(bytes[magic.count])")
        }
        var r = ByteReader(Array(body))
        do throws(DecodingError) {
            for _ in 0...magic.count { _ = try r.readByte() }
            let metadata = try SnapshotMetadata.decode(from: &r)
            let lengthAt = r.offset
            let length = try r.readFixed64()
            guard length == UInt64(r.remaining) else {
                throw DecodingError.invalid(offset: lengthAt, reason: "data length \(length) but \(r.remaining) bytes follow")
            }
            return Snapshot(metadata: metadata, data: Array(body[r.offset...]))
        } catch {
            throw .corrupt(file: path, offset: offset(of: error), reason: "snapshot checksum matches but it does not decode: \(error)")
        }
    }

    /// Writes `s` atomically into `directory` on `disk` and returns its path.
    static func write(_ s: Snapshot, directory: String, disk: any StorageDisk, options: StorageOptions) throws(StorageError) -> String {
        let path = directory + "/" + name(index: s.metadata.index)
        let temp = try writeTemporary(s, at: path + ".tmp", disk: disk, options: options)
        return try install(temp, at: path, directory: directory, disk: disk, options: options)
    }

    /// Where a snapshot prepared off the loop waits: a `.bin.tmp` name, so a crash leaves a
    /// temporary that the next open deletes.
    static func preparedPath(index: UInt64, directory: String) -> String {
        directory + "/" + "snap-\(hex16(index)).prepared.bin.tmp"
    }

    /// Writes the whole file for `s` at `temp` and syncs it; on failure nothing is left there.
    static func writeTemporary(_ s: Snapshot, at temp: String, disk: any StorageDisk, options: StorageOptions) throws(StorageError) -> String {
        var file = try disk.createFile(temp)
        do throws(StorageError) {
            let head = header(s)
            var crc = CRC32C()
            crc.update(head)
            crc.update(s.data)
            var tail: [UInt8] = []
            WALRecord.appendLE(crc.value, to: &tail)
            try file.write(head, at: 0)
            try file.write(s.data, at: head.count)
            try file.write(tail, at: head.count + s.data.count)
            if options.fsync { try file.sync() }
            file.close()
            return temp
        } catch {
            file.close()
            try? disk.remove(temp)
            throw error
        }
    }

    /// Renames a synced temporary into place as `path` and syncs the directory.
    static func install(_ temp: String, at path: String, directory: String, disk: any StorageDisk, options: StorageOptions) throws(StorageError) -> String {
        do throws(StorageError) {
            try disk.rename(temp, to: path)
        } catch {
            try? disk.remove(temp)
            throw error
        }
        do throws(StorageError) {
            if options.fsync { try disk.syncDirectory(directory) }
            return path
        } catch {
            try? disk.remove(path)
            throw error
        }
    }

    private static func offset(of error: DecodingError) -> Int {
        switch error {
        case let .truncated(o, _), let .malformedVarint(o), let .tooLarge(o, _, _), let .unknownTag(o, _, _),
             let .invalidUTF8(o), let .invalid(o, _), let .trailingBytes(o, _):
            o
        }
    }
}

/// `%016llx`.
func hex16(_ v: UInt64) -> String {
    let s = String(v, radix: 16)
    return String(repeating: "0", count: 16 - s.count) + s
}

/// The number in `<prefix><16 lowercase hex digits><suffix>`, or nil.
func parseHex16(_ name: String, prefix: String, suffix: String) -> UInt64? {
    guard name.hasPrefix(prefix), name.hasSuffix(suffix) else { return nil }
    let digits = name.dropFirst(prefix.count).dropLast(suffix.count)
    guard digits.count == 16, digits.allSatisfy({ ("0"..."9").contains($0) || ("a"..."f").contains($0) }) else { return nil }
    return UInt64(digits, radix: 16)
}
