import RaftCore

/// The WAL read back in order, before it is matched with a snapshot. Pure: works on bytes
/// already in memory, so recovery can be fuzzed without touching the disk.
struct WALReplay {
    /// One segment file's contents as found on disk.
    struct Segment {
        var sequence: UInt64
        var path: String
        var bytes: [UInt8]
    }

    /// What the writer needs to know about a segment to append to it or delete it.
    struct SegmentSummary: Equatable {
        var sequence: UInt64
        var path: String
        /// Bytes of whole, valid records (less than the file size when the tail is torn).
        var size: Int
        /// The highest entry index written to this segment, 0 if none.
        var maxEntryIndex: UInt64
    }

    struct Location: Equatable {
        var segment: Int
        var offset: Int
    }

    /// Entries after every overwrite and every marker that dropped later entries, in order and
    /// without gaps. Entries a keeping marker covers are still here: recovery drops them once
    /// it knows which snapshot it could load.
    var entries: [Entry] = []
    var locations: [Location] = []
    var hardState: HardState?
    /// The last snapshot marker in log order, and where it is.
    var latestMarker: SnapshotMarker?
    var latestMarkerLocation: Location?
    var segments: [SegmentSummary] = []
    /// Where the last segment's unfinished final write starts, and what is wrong there.
    var tornTail: (offset: Int, reason: String)?

    func path(_ l: Location) -> String { segments[l.segment].path }

    /// Replays `segments` (any order; sorted here by sequence). Throws `.corrupt` for damage a
    /// crash cannot explain: a bad record in any segment but the last, a bad record followed by
    /// valid data, a missing segment, a gap between entries.
    static func replay(_ input: [Segment], maxRecordLength: Int) throws(StorageError) -> WALReplay {
        var replay = WALReplay()
        let sorted = input.sorted { $0.sequence < $1.sequence }
        for (k, segment) in sorted.enumerated() {
            if k > 0, segment.sequence != sorted[k - 1].sequence + 1 {
                throw .corrupt(file: segment.path, offset: 0,
                               reason: "the WAL segment before it (number \(sorted[k - 1].sequence + 1)) is missing")
            }
            let scan = WALSegmentReader.scan(segment.bytes, maxRecordLength: maxRecordLength)
            let isLast = k == sorted.count - 1
            if let damage = scan.damage {
                if !isLast || !damage.checksumFailed || damage.validDataFollows || !damage.tearShaped {
                    let why = !isLast ? "; it is not the newest segment, so this is not an unfinished write"
                        : damage.validDataFollows && damage.checksumFailed ? "; valid records follow it, so this is not an unfinished write"
                        : damage.checksumFailed && !damage.tearShaped
                        ? "; the record is whole and does not end in the zeros an unfinished write leaves: its bytes changed after they were written"
                        : ""
                    throw .corrupt(file: segment.path, offset: damage.offset, reason: damage.reason + why)
                }
                replay.tornTail = (damage.offset, damage.reason)
            }
            replay.segments.append(SegmentSummary(sequence: segment.sequence, path: segment.path,
                                                  size: scan.validLength, maxEntryIndex: 0))
            for (offset, record) in scan.records {
                try replay.apply(record, at: Location(segment: k, offset: offset))
            }
        }
        return replay
    }

    private mutating func apply(_ record: WALRecord, at location: Location) throws(StorageError) {
        switch record {
        case .entry(let e):
            segments[location.segment].maxEntryIndex = max(segments[location.segment].maxEntryIndex, e.index)
            if let first = entries.first, let last = entries.last {
                if e.index > last.index, e.index - last.index > 1 {
                    throw .corrupt(file: path(location), offset: location.offset,
                                   reason: "entry \(e.index) follows entry \(last.index): entries \(last.index + 1)...\(e.index - 1) are missing")
                }
                let keep = e.index >= first.index ? Int(e.index - first.index) : 0
                entries.removeSubrange(keep...)
                locations.removeSubrange(keep...)
            }
            entries.append(e)
            locations.append(location)
        case .hardState(let h):
            hardState = h
        case .snapshot(let m):
            if !m.keepsLaterEntries {
                entries.removeAll()
                locations.removeAll()
            }
            latestMarker = m
            latestMarkerLocation = location
        }
    }
}
