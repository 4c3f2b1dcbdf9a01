import CNetfilterQueue
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The userspace half of a kernel delay: binds the run's NFQUEUE in the switch namespace, holds
/// each queued packet as its `PacketDelaySchedule` says and hands it back to the kernel
/// (accept) when due, in release order. Runs as `flotilla packet-releaser` (a process of its
/// own, see `PacketDelays`), one per run, on one thread.
///
/// What was found on this kernel (6.18, no netem, no loadable modules): nftables' own `queue`
/// statement is not built (CONFIG_NFT_QUEUE unset: `nft` answers "No such file or directory" in
/// a bridge table and in an inet table alike), but the xtables NFQUEUE target is, reachable
/// through nft_compat, which only iptables-nft writes. br_netfilter is built in and
/// `bridge-nf-call-iptables` is on in a new namespace, so frames the switch bridges between two
/// members pass the `ip` family's forward hook of the switch namespace: an
/// `iptables -A FORWARD -s A -d B -j NFQUEUE` there queues exactly one directed member link,
/// behind the bridge table's cuts and loss (bridge hook, priority -200). The netlink socket
/// that receives the queue is per namespace, so the releaser runs in the switch namespace.
/// The same rule on the OUTPUT hook inside the sending member's namespace (where its own
/// packets are routed, not bridged) works too, but would need a releaser per member; at the
/// switch one releaser serves every link of the run, and the member namespaces stay untouched.
public final class PacketDelayReleaser {
    let planPath: String
    let statsPath: String
    private var schedule: PacketDelaySchedule
    private var plan: PacketDelayPlan
    /// (source, destination) address, as the header holds them, to the link's rule.
    private var rulesByAddress: [UInt64: DelayRule] = [:]
    private var queueHandle: OpaquePointer?
    private var overruns = 0
    private var planStamp: timespec = timespec()

    /// Reads the plan at `planPath`; throws when there is none.
    public init(planPath: String, statsPath: String) throws {
        guard let plan = PacketDelayPlan.read(planPath) else { throw OrchestratorError("no packet delay plan at \(planPath)") }
        self.planPath = planPath
        self.statsPath = statsPath
        self.plan = plan
        schedule = PacketDelaySchedule(seed: plan.seed, capacity: plan.capacity)
        planStamp = Self.modified(planPath)
        index(plan)
    }

    /// Nanoseconds on the monotonic clock.
    static func now() -> Int64 {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Int64(t.tv_sec) * 1_000_000_000 + Int64(t.tv_nsec)
    }

    static func modified(_ path: String) -> timespec {
        var st = stat()
        return stat(path, &st) == 0 ? st.st_mtim : timespec()
    }

    /// An IPv4 address in the order the packet header holds it.
    static func address(_ text: String) -> UInt32? {
        var a = in_addr()
        return inet_pton(AF_INET, text, &a) == 1 ? a.s_addr : nil
    }

    private func index(_ plan: PacketDelayPlan) {
        rulesByAddress = [:]
        for r in plan.rules {
            guard let from = plan.addresses[r.from].flatMap(Self.address), let to = plan.addresses[r.to].flatMap(Self.address) else { continue }
            rulesByAddress[UInt64(from) << 32 | UInt64(to)] = r
        }
    }

    /// Binds the queue and releases packets until the plan file is removed (then every held
    /// packet goes back to the kernel at once) or the process is killed.
    public func run() throws {
        guard let handle = nfq_open() else { throw OrchestratorError("nfq_open: \(String(cString: strerror(errno)))") }
        defer { nfq_close(handle) }
        _ = nfq_bind_pf(handle, UInt16(AF_INET))
        let me = Unmanaged.passUnretained(self).toOpaque()
        guard let qh = nfq_create_queue(handle, plan.queue, { _, _, data, context in
            guard let data, let context else { return 0 }
            Unmanaged<PacketDelayReleaser>.fromOpaque(context).takeUnretainedValue().arrived(data)
            return 0
        }, me) else {
            throw OrchestratorError("cannot bind NFQUEUE \(plan.queue) (is another releaser bound to it?): \(String(cString: strerror(errno)))")
        }
        queueHandle = qh
        defer { nfq_destroy_queue(qh) }
        // The IPv4 header is all the releaser reads; the kernel keeps the packet.
        guard nfq_set_mode(qh, flotilla_nfqnl_copy_packet(), 20) >= 0 else { throw OrchestratorError("nfq_set_mode failed") }
        _ = nfq_set_queue_maxlen(qh, UInt32(plan.capacity + 1024))
        _ = nfnl_rcvbufsiz(nfq_nfnlh(handle), 8 << 20)
        let fd = nfq_fd(handle)
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        writeStats()
        FileHandle.standardError.write(Data("packet releaser pid \(getpid()): bound NFQUEUE \(plan.queue), plan revision \(plan.revision), \(plan.rules.count) link(s)\n".utf8))

        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var lastLook = Self.now()
        var lastStats = lastLook
        while true {
            let now = Self.now()
            let untilDue = schedule.nextRelease.map { max(0, $0 - now) } ?? 100_000_000
            // Round up to a whole millisecond so a packet is never handed back early.
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            _ = poll(&pfd, 1, Int32(min(100, (untilDue + 999_999) / 1_000_000)))
            if pfd.revents & Int16(POLLIN) != 0 {
                while true {
                    let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
                    if n > 0 {
                        _ = buffer.withUnsafeMutableBytes { nfq_handle_packet(handle, $0.baseAddress!.assumingMemoryBound(to: CChar.self), Int32(n)) }
                    } else if n < 0, errno == ENOBUFS {
                        overruns += 1
                    } else {
                        break
                    }
                }
            }
            let after = Self.now()
            for packet in schedule.due(now: after) { verdict(packet, accept: true) }
            if after - lastLook >= 100_000_000 {
                lastLook = after
                if !lookAtPlan() {
                    let held = schedule.drain()
                    for packet in held { verdict(packet, accept: true) }
                    writeStats()
                    FileHandle.standardError.write(Data("packet releaser pid \(getpid()): plan removed, released the \(held.count) held, \(schedule.released) in all, \(schedule.dropped) dropped\n".utf8))
                    return
                }
            }
            if after - lastStats >= 500_000_000 {
                lastStats = after
                writeStats()
            }
        }
    }

    /// One packet from the kernel: held, or dropped when the schedule is full.
    private func arrived(_ data: OpaquePointer) {
        let id = flotilla_nfq_packet_id(data)
        var payload: UnsafeMutablePointer<UInt8>?
        let length = nfq_get_payload(data, &payload)
        var rule: DelayRule?
        if length >= 20, let p = payload, p[0] >> 4 == 4 {
            let raw = UnsafeRawPointer(p)
            let source = raw.loadUnaligned(fromByteOffset: 12, as: UInt32.self)
            let destination = raw.loadUnaligned(fromByteOffset: 16, as: UInt32.self)
            rule = rulesByAddress[UInt64(source) << 32 | UInt64(destination)]
        }
        if schedule.admit(id, rule: rule, now: Self.now()) == nil { verdict(id, accept: false) }
    }

    private func verdict(_ packet: UInt32, accept: Bool) {
        guard let qh = queueHandle else { return }
        _ = nfq_set_verdict(qh, packet, accept ? flotilla_nf_accept() : flotilla_nf_drop(), 0, nil)
    }

    /// Re-reads the plan when its file changed; false when the file is gone (stop).
    private func lookAtPlan() -> Bool {
        guard FileManager.default.fileExists(atPath: planPath) else { return false }
        let stamp = Self.modified(planPath)
        guard stamp.tv_sec != planStamp.tv_sec || stamp.tv_nsec != planStamp.tv_nsec else { return true }
        planStamp = stamp
        if let fresh = PacketDelayPlan.read(planPath) {
            plan.rules = fresh.rules
            plan.addresses = fresh.addresses
            plan.revision = fresh.revision
            index(plan)
            writeStats()
        }
        return true
    }

    private func writeStats() {
        let stats = PacketDelayStats(pid: getpid(), revision: plan.revision, queue: plan.queue, held: schedule.held.count,
                                     admitted: schedule.admitted, released: schedule.released, dropped: schedule.dropped,
                                     reordered: schedule.reordered, overruns: overruns)
        guard let data = try? JSONEncoder().encode(stats) else { return }
        try? PrivateFiles.write(data, to: statsPath)
    }
}
