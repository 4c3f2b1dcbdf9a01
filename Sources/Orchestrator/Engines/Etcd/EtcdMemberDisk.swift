import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A small tmpfs Flotilla mounts under one etcd member's folder and puts its data dir on, so
/// `disk NAME full` is a real full disk under a real etcd: a filler file takes every free block,
/// and `disk NAME ok` deletes it. Mounting needs root (CAP_SYS_ADMIN); without it a cluster is
/// made without disks and `disk` is refused.
///
/// The mount's source is `flotilla-<cluster token>-<member>`, so `/proc/mounts` names the run
/// (the token) as well as the directory. Nothing here outlives the cluster: `down` and every
/// teardown unmount (`unmountAll(under:)` finds the run's mounts by their place, so even a disk of
/// a member that `etcd.json` has forgotten goes).
///
/// What etcd 3.4.23 does on it, as measured: its WAL segments are preallocated (64 MB, and the
/// next one in the background), so appends go on; the first bbolt commit that needs a new page
/// fails and the member exits (`C | mvcc/backend: cannot commit tx (write …/member/snap/db: no
/// space left on device)`) within about 100 ms of the write. No NOSPACE alarm is raised for it:
/// that alarm is etcd's own quota (`--quota-backend-bytes`), not the file system's.
public struct EtcdMemberDisk: Sendable, Equatable, Codable {
    /// Where the tmpfs is mounted: `<cluster>/<member>/disk`.
    public let mountPoint: String
    /// The mount's source as `/proc/mounts` lists it.
    public let source: String
    public let mebibytes: Int

    /// Each member's tmpfs: room for two 64 MB WAL segments (the one in use and the one etcd
    /// prepares ahead) and a bbolt file that grows with the test's keys.
    public static let defaultMebibytes = 256

    public init(mountPoint: String, source: String, mebibytes: Int = Self.defaultMebibytes) {
        self.mountPoint = (mountPoint as NSString).standardizingPath
        self.source = source
        self.mebibytes = mebibytes
    }

    /// The file that takes the last free block while the disk is full.
    public var fillerPath: String { "\(mountPoint)/filler" }

    /// Whether the tmpfs is mounted at `mountPoint` now.
    public var isMounted: Bool { Self.mounts().contains { $0.point == mountPoint } }

    /// Whether a filler is in place (the disk was made full and not made ok since).
    public var isFull: Bool { access(fillerPath, F_OK) == 0 }

    /// Mounts the tmpfs unless it is mounted already; the reason when the kernel refuses.
    public func mount() throws {
        if isMounted { return }
        try PrivateFiles.makeDirectory(mountPoint)
        let options = "size=\(mebibytes)m,mode=0700"
        guard Glibc.mount(source, mountPoint, "tmpfs", 0, options) == 0 else {
            let why = String(cString: strerror(errno))
            throw OrchestratorError("cannot mount a tmpfs at \(mountPoint): \(why)" + (geteuid() == 0 ? "" : " (mounting needs root)"))
        }
    }

    /// Unmounts it; a busy one (a member still dying) is detached lazily, so it leaves
    /// `/proc/mounts` at once either way. True when it is no longer mounted.
    @discardableResult
    public func unmount() -> Bool {
        Self.unmount(mountPoint)
    }

    /// Fills the tmpfs to its last block with a filler file; the bytes written.
    public func fill() throws -> Int {
        guard isMounted else { throw OrchestratorError("no tmpfs is mounted at \(mountPoint)") }
        let fd = open(fillerPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw OrchestratorError("cannot create \(fillerPath): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var written = 0
        // Large writes first, then single pages, then single bytes: the last block is taken too.
        for chunk in [1 << 20, 4096, 1] {
            let zeros = [UInt8](repeating: 0, count: chunk)
            while true {
                let n = zeros.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, chunk) }
                if n > 0 { written += n; continue }
                if n < 0, errno == EINTR { continue }
                if n < 0, errno != ENOSPC {
                    throw OrchestratorError("writing \(fillerPath) failed: \(String(cString: strerror(errno)))")
                }
                break
            }
        }
        return written
    }

    /// Deletes the filler; whether there was one.
    @discardableResult
    public func clear() -> Bool {
        unlink(fillerPath) == 0
    }

    /// Free bytes on the tmpfs now.
    public var freeBytes: Int {
        var st = statvfs()
        guard statvfs(mountPoint, &st) == 0 else { return 0 }
        return Int(st.f_bavail) * Int(st.f_frsize)
    }

    // MARK: The mounts of a run

    /// `(source, mount point)` of every mount the kernel lists for this process's namespace.
    public static func mounts() -> [(source: String, point: String)] {
        guard let text = try? String(contentsOfFile: "/proc/mounts", encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count >= 2 else { return nil }
            return (unescape(String(fields[0])), unescape(String(fields[1])))
        }
    }

    /// `/proc/mounts` writes a space in a path as `\040` (and tab, newline, backslash alike).
    static func unescape(_ s: String) -> String {
        guard s.contains("\\") else { return s }
        var out = ""
        var i = s.startIndex
        while i < s.endIndex {
            if s[i] == "\\", let end = s.index(i, offsetBy: 4, limitedBy: s.endIndex),
               let code = UInt8(s[s.index(after: i)..<end], radix: 8) {
                out.append(Character(UnicodeScalar(code)))
                i = end
            } else {
                out.append(s[i])
                i = s.index(after: i)
            }
        }
        return out
    }

    /// Unmounts every mount at or below `directory`, deepest first; the mount points that could
    /// not be unmounted (none when all went).
    @discardableResult
    public static func unmountAll(under directory: String) -> [String] {
        let root = (directory as NSString).standardizingPath
        let points = mounts().map(\.point).filter { $0 == root || $0.hasPrefix(root + "/") }
        return Set(points).sorted { $0.count > $1.count }.filter { !unmount($0) }
    }

    /// Unmounts `point`, detaching it lazily when it is busy.
    static func unmount(_ point: String) -> Bool {
        if umount2(point, 0) == 0 || errno == EINVAL || errno == ENOENT {
            return !mounts().contains { $0.point == point }
        }
        _ = umount2(point, Int32(MNT_DETACH))
        return !mounts().contains { $0.point == point }
    }
}
