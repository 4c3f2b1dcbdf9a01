import BinaryCoding
import Glibc

/// The files and directories of a `MemoryDisk`, and what a power loss would take from them.
///
/// Every change not yet made durable is kept in an undo log: a file's writes and truncations
/// until that file is fsynced, a directory's entry changes (create, rename, remove) until the
/// directory is fsynced. A crash rolls back a suffix of each log. So a write costs the bytes
/// it writes, an fsync the changes it makes durable, and a crash the changes it rolls back:
/// never a copy of a whole file.
///
/// Pure and deterministic: every random choice comes from the generator handed to `crash`,
/// and nothing depends on the iteration order of a dictionary. `MemoryDisk` serializes access.
struct MemoryVolume {
    /// Why an operation failed, as the errno a real file system would give.
    struct Failure: Error {
        var errno: Int32
    }

    /// A file's contents as reads see them, and the changes to them not yet fsynced, oldest first.
    final class Inode {
        var bytes: [UInt8] = []
        var unsynced: [Change] = []
        /// Open handles: a removed file lives on while one is open.
        var opens = 0
    }

    /// An unsynced change to a file, with what it takes to undo it.
    enum Change {
        /// `count` bytes written at `offset` into a file of `previousSize` bytes, replacing `overwritten`.
        case write(offset: Int, count: Int, previousSize: Int, overwritten: [UInt8])
        /// A truncation from `previousSize`; `removed` is the tail it cut off (empty when it grew the file).
        case resize(previousSize: Int, removed: [UInt8])
    }

    /// A name a directory operation changed, and the inode it named before (nil: none).
    struct EntryChange {
        var name: String
        var previous: Int?
    }

    struct Directory {
        var files: [String: Int] = [:]
        /// Names of the directories inside; they are durable once made.
        var subdirectories: Set<String> = []
        /// Unsynced entry changes, oldest first, one group per operation (a rename changes two
        /// names at once, and a crash keeps both or neither).
        var unsynced: [[EntryChange]] = []
    }

    private var directories: [String: Directory] = ["/": Directory(), ".": Directory()]
    private var inodes: [Int: Inode] = [:]
    private var nextInode = 1

    /// `/a/b/c` is (`/a/b`, `c`); a name without a slash is in `.`.
    static func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = slash == path.startIndex ? "/" : String(path[..<slash])
        return (directory, String(path[path.index(after: slash)...]))
    }

    // MARK: - Directories

    mutating func makeDirectory(_ path: String) throws(Failure) {
        guard directories[path] == nil else { return }
        let (parent, name) = Self.split(path)
        guard !name.isEmpty, directories[parent] != nil else { throw Failure(errno: ENOENT) }
        guard directories[parent]!.files[name] == nil else { throw Failure(errno: EEXIST) }
        directories[parent]!.subdirectories.insert(name)
        directories[path] = Directory()
    }

    func list(_ path: String) throws(Failure) -> [String] {
        guard let d = directories[path] else { throw notADirectory(path) }
        return (Array(d.files.keys) + d.subdirectories).sorted()
    }

    mutating func syncDirectory(_ path: String) throws(Failure) {
        guard let d = directories[path] else { throw notADirectory(path) }
        directories[path]!.unsynced = []
        for change in d.unsynced.joined() {
            if let id = change.previous { collect(id) }
        }
    }

    mutating func rename(_ from: String, to: String) throws(Failure) {
        let (fromDirectory, fromName) = Self.split(from)
        let (toDirectory, toName) = Self.split(to)
        guard let id = try file(from) else { throw Failure(errno: ENOENT) }
        guard let target = directories[toDirectory], !toName.isEmpty else { throw Failure(errno: ENOENT) }
        guard !target.subdirectories.contains(toName) else { throw Failure(errno: EISDIR) }
        guard from != to else { return }
        let replaced = target.files[toName]
        directories[toDirectory]!.files[toName] = id
        directories[fromDirectory]!.files[fromName] = nil
        if fromDirectory == toDirectory {
            directories[toDirectory]!.unsynced.append([EntryChange(name: toName, previous: replaced),
                                                       EntryChange(name: fromName, previous: id)])
        } else {
            directories[toDirectory]!.unsynced.append([EntryChange(name: toName, previous: replaced)])
            directories[fromDirectory]!.unsynced.append([EntryChange(name: fromName, previous: id)])
        }
        if let replaced { collect(replaced) }
    }

    mutating func remove(_ path: String) throws(Failure) {
        guard let id = try file(path) else { throw Failure(errno: ENOENT) }
        let (directory, name) = Self.split(path)
        directories[directory]!.files[name] = nil
        directories[directory]!.unsynced.append([EntryChange(name: name, previous: id)])
        collect(id)
    }

    /// Why `path` cannot be used as a directory: nothing is there, or a file is.
    private func notADirectory(_ path: String) -> Failure {
        let (directory, name) = Self.split(path)
        return Failure(errno: directories[directory]?.files[name] == nil ? ENOENT : ENOTDIR)
    }

    // MARK: - Files

    /// The inode `path` names, nil if none; a directory throws EISDIR.
    private func file(_ path: String) throws(Failure) -> Int? {
        let (directory, name) = Self.split(path)
        guard let d = directories[directory] else { return nil }
        if d.subdirectories.contains(name) { throw Failure(errno: EISDIR) }
        return d.files[name]
    }

    func read(_ path: String) throws(Failure) -> [UInt8] {
        guard let id = try file(path) else { throw Failure(errno: ENOENT) }
        return inodes[id]!.bytes
    }

    /// Opens `path`, creating it (empty) when `creating` and it does not exist.
    mutating func open(_ path: String, creating: Bool) throws(Failure) -> Int {
        if let id = try file(path) {
            inodes[id]!.opens += 1
            return id
        }
        let (directory, name) = Self.split(path)
        guard creating, directories[directory] != nil, !name.isEmpty else { throw Failure(errno: ENOENT) }
        let id = nextInode
        nextInode += 1
        let inode = Inode()
        inode.opens = 1
        inodes[id] = inode
        directories[directory]!.files[name] = id
        directories[directory]!.unsynced.append([EntryChange(name: name, previous: nil)])
        return id
    }

    mutating func close(_ id: Int) {
        inodes[id]!.opens -= 1
        collect(id)
    }

    func size(_ id: Int) -> Int { inodes[id]!.bytes.count }

    func write(_ id: Int, _ bytes: ArraySlice<UInt8>, at offset: Int) {
        guard !bytes.isEmpty else { return }
        let inode = inodes[id]!
        let previousSize = inode.bytes.count
        let overlapEnd = min(offset + bytes.count, previousSize)
        var overwritten: [UInt8] = []
        if offset < overlapEnd {
            overwritten = Array(inode.bytes[offset..<overlapEnd])
            inode.bytes.replaceSubrange(offset..<overlapEnd, with: bytes.prefix(overlapEnd - offset))
            inode.bytes.append(contentsOf: bytes.dropFirst(overlapEnd - offset))
        } else {
            if offset > previousSize { inode.bytes.append(contentsOf: repeatElement(0, count: offset - previousSize)) }
            inode.bytes.append(contentsOf: bytes)
        }
        inode.unsynced.append(.write(offset: offset, count: bytes.count, previousSize: previousSize, overwritten: overwritten))
    }

    func truncate(_ id: Int, to size: Int) {
        let inode = inodes[id]!
        let previousSize = inode.bytes.count
        guard size != previousSize else { return }
        var removed: [UInt8] = []
        if size < previousSize {
            removed = Array(inode.bytes[size...])
            inode.bytes.removeSubrange(size...)
        } else {
            inode.bytes.append(contentsOf: repeatElement(0, count: size - previousSize))
        }
        inode.unsynced.append(.resize(previousSize: previousSize, removed: removed))
    }

    func sync(_ id: Int) {
        inodes[id]!.unsynced.removeAll(keepingCapacity: true)
    }

    // MARK: - Power loss

    /// Loses what a power cut may lose. For each directory, a random prefix of its unsynced
    /// operations survives. For each file still named, a random prefix of its unsynced changes
    /// survives whole; the next write may survive in part (a prefix of its bytes, where those
    /// past the old end of the file may read back as zeros: the size reached the disk, the
    /// data did not); the rest is gone. Every file is closed.
    mutating func crash(using rng: inout SplitMix64) {
        for path in directories.keys.sorted() where !directories[path]!.unsynced.isEmpty {
            let log = directories[path]!.unsynced
            let kept = rng.below(log.count + 1)
            for change in log[kept...].joined().reversed() {
                directories[path]!.files[change.name] = change.previous
            }
            directories[path]!.unsynced = []
        }
        let named = Set(directories.values.flatMap(\.files.values))
        for id in inodes.keys.sorted() {
            let inode = inodes[id]!
            guard named.contains(id) else {
                inodes[id] = nil
                continue
            }
            inode.opens = 0
            let log = inode.unsynced
            guard !log.isEmpty else { continue }
            let kept = rng.below(log.count + 1)
            guard kept < log.count else {
                inode.unsynced = []
                continue
            }
            var survives = 0
            var zeroed = false
            if case let .write(_, count, _, _) = log[kept], count > 1, rng.chance(0.5) {
                survives = 1 + rng.below(count - 1)
                zeroed = rng.chance(0.25)
            }
            for change in log[(kept + 1)...].reversed() { Self.undo(change, in: inode, keeping: 0, zeroed: false) }
            Self.undo(log[kept], in: inode, keeping: survives, zeroed: zeroed)
            inode.unsynced = []
        }
    }

    /// Takes `change` back, the last change still applied to `inode`, except for the first
    /// `keeping` bytes of a write (zeros instead where they lay past the old end, if `zeroed`).
    private static func undo(_ change: Change, in inode: Inode, keeping: Int, zeroed: Bool) {
        switch change {
        case let .write(offset, _, previousSize, overwritten):
            if overwritten.count > keeping {
                inode.bytes.replaceSubrange((offset + keeping)..<(offset + overwritten.count), with: overwritten[keeping...])
            }
            let size = keeping > 0 ? max(previousSize, offset + keeping) : previousSize
            inode.bytes.removeSubrange(size...)
            if zeroed, size > max(offset, previousSize) {
                inode.bytes.replaceSubrange(max(offset, previousSize)..<size, with: repeatElement(0, count: size - max(offset, previousSize)))
            }
        case let .resize(previousSize, removed):
            if inode.bytes.count > previousSize {
                inode.bytes.removeSubrange(previousSize...)
            } else {
                inode.bytes.append(contentsOf: removed)
            }
        }
    }

    /// Frees `id` once nothing can reach it: no handle, no name, no unsynced change that a
    /// crash could undo back to it.
    private mutating func collect(_ id: Int) {
        guard let inode = inodes[id], inode.opens == 0 else { return }
        let reachable = directories.values.contains { d in
            d.files.values.contains(id) || d.unsynced.joined().contains { $0.previous == id }
        }
        if !reachable { inodes[id] = nil }
    }
}
