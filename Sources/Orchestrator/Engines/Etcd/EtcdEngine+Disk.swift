import FlotillaAPI
import Foundation

/// Disk faults and replace on a local etcd cluster: a real full disk under a member (its data
/// dir's tmpfs filled to the last block, `EtcdMemberDisk`), its heal, and etcd's rule for a member
/// that lost its data, as one command.
extension EtcdEngine {
    /// Why `disk NAME slow` is refused on etcd.
    static let slowDiskRefusal = "disk slow on etcd would need a delay in the block layer (dm-delay) or inside etcd, and this kernel and etcd have "
        + "neither; etcd takes `disk NAME full` and `disk NAME ok`"

    /// Why `disk` is refused on this cluster, or nil when its members have disks to fill.
    var diskRefusal: String? {
        guard let local else { return "disk on etcd fills a tmpfs under a member's data dir: it needs a cluster Flotilla launched (`flotilla up --engine etcd`)" }
        guard let spec = try? local.load(), spec.members.contains(where: { $0.disk != nil }) else {
            return "disk on etcd fills a tmpfs Flotilla mounts under each member's data dir; this cluster was made without them "
                + "(mounting needs root: make the cluster as root)"
        }
        return nil
    }

    /// Fills or empties the tmpfs under `target`'s data dir. `full` takes every free block (etcd
    /// exits at the next write its database cannot grow for); `ok` deletes the filler, disarms
    /// a NOSPACE alarm raised for the member, and starts the member again if it exited. What was
    /// done, per member.
    public func disk(_ target: NodeTarget, _ fault: DiskFault) async throws -> String {
        try await act("disk", target.description) {
            if case .slow = fault { throw OrchestratorError(Self.slowDiskRefusal) }
            if let why = self.diskRefusal { throw OrchestratorError(why) }
            guard let local = self.local else { throw OrchestratorError("disk needs a local cluster") }
            let spec = try local.load()
            let names: [String]
            switch target {
            case .all: names = spec.members.map(\.name)
            case .leader:
                guard let l = await self.snapshot().leader else { throw OrchestratorError("there is no leader to target") }
                names = [l.id]
            case .node(let n): names = [n]
            }
            var said: [String] = []
            for name in names {
                guard let m = spec.member(name) else {
                    throw OrchestratorError("no member \(name); the members are \(spec.members.map(\.name).joined(separator: ", "))")
                }
                guard let disk = m.disk, disk.isMounted else { throw OrchestratorError("\(name) has no tmpfs mounted at \(m.disk?.mountPoint ?? "its folder")") }
                switch fault {
                case .full:
                    let bytes = try disk.fill()
                    said.append("\(name)'s \(disk.mebibytes) MiB tmpfs filled (\(bytes >> 20) MiB filler, \(disk.freeBytes) bytes free); "
                        + "etcd exits at its next write its database cannot grow for")
                case .ok:
                    said.append(try await self.diskOK(m, disk, in: local))
                case .slow:
                    throw OrchestratorError(Self.slowDiskRefusal)
                }
            }
            let text = said.joined(separator: "; ")
            return (text, text)
        }
    }

    /// Deletes the filler, disarms the member's NOSPACE alarm if one is raised, and starts the
    /// member again (waiting up to 15 s for it to answer) when it ended by itself; one an
    /// operator stopped stays stopped (`restart` starts it).
    private func diskOK(_ m: EtcdMemberSpec, _ disk: EtcdMemberDisk, in local: EtcdLocalCluster) async throws -> String {
        let wasFull = disk.clear()
        var parts = [wasFull ? "\(m.name): filler deleted" : "\(m.name): no filler"]
        if let disarmed = await disarmSpaceAlarm(of: m.name) { parts.append(disarmed) }
        let exit = local.exit(of: m)
        if local.pid(of: m) == nil, exit.map({ !$0.byOperator }) ?? wasFull {
            let why = exit?.reason ?? "it was not running"
            try local.start(m, spec: try local.load())
            let (s, up) = await wait(for: .seconds(15), every: .milliseconds(200)) { $0.node(m.name)?.live != nil }
            guard up else { throw OrchestratorError("\(m.name) was started again but does not answer within 15 s (\(s.node(m.name)?.error ?? "no answer")); see \(m.logFile)") }
            parts.append("it had exited (\(why)): started again on its data")
        }
        return parts.joined(separator: "; ")
    }

    /// Deactivates a NOSPACE alarm etcd raised for `name`, asking any answering member; what
    /// was done, or nil when there was none.
    func disarmSpaceAlarm(of name: String) async -> String? {
        let o = await observe()
        guard let contact = o.views.first(where: { $0.status != nil }) else { return nil }
        guard let id = o.members.first(where: { o.name(of: $0.id) == name })?.id,
              let alarms = try? await client.alarms(contact.clientAddress) else { return nil }
        guard let raised = alarms.first(where: { $0.memberID == id && $0.alarm == "NOSPACE" }) else { return nil }
        do {
            try await client.disarm(contact.clientAddress, raised)
            return "NOSPACE alarm disarmed"
        } catch {
            return "NOSPACE alarm could not be disarmed: \(error)"
        }
    }

    /// Replaces `name` with an empty member under the same name and addresses: hands leadership
    /// away if it leads, removes it from the membership (it exits), deletes its data, adds it back
    /// as a learner (etcd gives it a new id), starts it with `--initial-cluster-state existing`
    /// and promotes it once it has caught up. Its action event names the new id.
    public func replace(_ name: String) async throws {
        try await act("replace", name) {
            let (local, m) = try self.member(name)
            let s = await self.snapshot()
            let others = s.voters.filter { $0 != name }
            if s.voters == [name] { throw OrchestratorError("cannot replace \(name): it is the only voter, and the cluster's data would go with it") }
            let live = others.filter { s.node($0)?.live != nil }
            if s.voters.contains(name), live.count < others.count / 2 + 1 {
                throw OrchestratorError("cannot replace \(name): without it \(live.count) of \(others.count) voters answer, "
                    + "fewer than the \(others.count / 2 + 1) needed to commit its removal; restart the others first")
            }
            let old = try? await self.id(of: name)
            if old != nil { try await self.removeMembership(name, within: .seconds(15)) }
            if local.pid(of: m) != nil, !(await local.stop(m)) { throw OrchestratorError("\(name) did not stop") }
            try local.wipeData(m)
            // Back under the same name and addresses, joining the members there are now.
            var joining = m
            let spec = try local.load()
            joining.initialState = "existing"
            joining.initialCluster = EtcdClusterSpec.initialCluster(spec.members.filter { $0.name != name } + [m])
            try local.update(joining)
            let contact = try await self.leader().address
            let added = try await self.whileUnhealthy(until: .now + .seconds(15)) {
                try await self.client.addMember(contact, peerURL: m.peerURL, learner: true)
            }
            try local.start(joining, spec: try local.load())
            try await self.promote(name, within: .seconds(30))
            let was = old.map { " (was \($0))" } ?? ""
            return ((), "\(name) replaced: empty, joined as learner \(added.id)\(was), caught up and votes")
        }
    }
}
