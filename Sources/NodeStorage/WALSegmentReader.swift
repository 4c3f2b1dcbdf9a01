/// Splits one segment file's bytes into records, stopping at the first damaged one.
/// Pure and bounds-checked: arbitrary bytes either parse or report damage, never trap.
struct WALSegmentReader {
    /// The first record that could not be read, and whether it can be a torn write.
    struct Damage: Equatable {
        var offset: Int
        var reason: String
        /// False when the checksum matched but the payload did not decode: the bytes were
        /// written like that, so no crash explains them.
        var checksumFailed: Bool
        /// True when a valid record starts somewhere after the damage: not a torn tail.
        var validDataFollows: Bool
        /// True when the damage looks like what a power cut leaves of an unsynced write: a record
        /// cut short by the end of the file, or one whose bytes are zeros from some point to the
        /// end of the file (its size reached the disk, its data did not). A whole record whose
        /// checksum fails otherwise changed after it was written.
        var tearShaped: Bool = true
    }

    struct Scan {
        var records: [(offset: Int, record: WALRecord)] = []
        /// Where the valid records end: the file length, or the damaged record's offset.
        var validLength = 0
        var damage: Damage?
    }

    static func scan(_ bytes: [UInt8], maxRecordLength: Int) -> Scan {
        var scan = Scan()
        var p = 0
        while p < bytes.count {
            switch frame(bytes, at: p, maxRecordLength: maxRecordLength) {
            case .success(let (kind, payload, next)):
                do {
                    scan.records.append((p, try WALRecord.decode(kind: kind, payload: payload)))
                    p = next
                } catch {
                    scan.damage = Damage(offset: p, reason: "record checksum matches but it does not decode: \(error)",
                                         checksumFailed: false, validDataFollows: true)
                    scan.validLength = p
                    return scan
                }
            case .failure(let bad):
                scan.damage = Damage(offset: p, reason: bad.reason, checksumFailed: true,
                                     validDataFollows: validRecordExists(in: bytes, after: p, maxRecordLength: maxRecordLength),
                                     tearShaped: bad.recordEnd.map { zerosFromInside(bytes, recordStart: p, recordEnd: $0) } ?? true)
                scan.validLength = p
                return scan
            }
        }
        scan.validLength = p
        return scan
    }

    struct BadFrame: Error {
        var reason: String
        /// Where the record ends, when it is whole (its checksum is what failed).
        var recordEnd: Int?
    }

    /// True when the file is zeros from the record's start, or from a sector boundary inside the
    /// record, to its end: what a power cut leaves when a file's size reached the disk and its
    /// data did not (unwritten blocks read as zeros, and they start at a sector boundary). A record
    /// that merely ends in zero bytes of its own (a small number) does not qualify, unless a
    /// sector boundary falls among them.
    static func zerosFromInside(_ bytes: [UInt8], recordStart: Int, recordEnd: Int) -> Bool {
        let zerosFrom = (bytes.lastIndex(where: { $0 != 0 }) ?? -1) + 1
        if zerosFrom <= recordStart { return true }
        let sector = 512
        let boundary = (zerosFrom + sector - 1) / sector * sector
        return boundary < recordEnd
    }

    /// Checks the frame at `p`: header complete, length in bounds, checksum matching.
    static func frame(_ bytes: [UInt8], at p: Int, maxRecordLength: Int)
        -> Result<(kind: UInt8, payload: [UInt8], next: Int), BadFrame>
    {
        let available = bytes.count - p
        guard available >= WALRecord.headerSize else {
            return .failure(BadFrame(reason: "incomplete record header (\(available) of \(WALRecord.headerSize) bytes)"))
        }
        let length = Int(WALRecord.readLE(bytes, at: p))
        guard length <= maxRecordLength else {
            return .failure(BadFrame(reason: "record length \(length) exceeds the limit of \(maxRecordLength) bytes"))
        }
        guard length <= available - WALRecord.headerSize else {
            return .failure(BadFrame(reason: "record of \(length) payload bytes runs \(length - (available - WALRecord.headerSize)) bytes past the end of the file"))
        }
        let stored = WALRecord.readLE(bytes, at: p + 4)
        let body = bytes[(p + 8)..<(p + WALRecord.headerSize + length)]
        let computed = CRC32C.checksum(body)
        guard stored == computed else {
            return .failure(BadFrame(reason: "record checksum mismatch (stored \(hex(stored)), computed \(hex(computed)))",
                                     recordEnd: p + WALRecord.headerSize + length))
        }
        return .success((bytes[p + 8], Array(body.dropFirst()), p + WALRecord.headerSize + length))
    }

    /// True when some offset after `damaged` holds a record with a known type, a plausible
    /// length and a matching checksum: the damage is then not the end of an unfinished write.
    static func validRecordExists(in bytes: [UInt8], after damaged: Int, maxRecordLength: Int) -> Bool {
        var q = damaged + 1
        while q + WALRecord.headerSize <= bytes.count {
            defer { q += 1 }
            guard WALRecord.Kind(rawValue: bytes[q + 8]) != nil else { continue }
            let length = Int(WALRecord.readLE(bytes, at: q))
            guard length <= maxRecordLength, length <= bytes.count - q - WALRecord.headerSize else { continue }
            if WALRecord.readLE(bytes, at: q + 4) == CRC32C.checksum(bytes[(q + 8)..<(q + WALRecord.headerSize + length)]) {
                return true
            }
        }
        return false
    }

    static func hex(_ v: UInt32) -> String {
        let s = String(v, radix: 16)
        return "0x" + String(repeating: "0", count: 8 - s.count) + s
    }
}
