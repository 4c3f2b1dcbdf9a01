import Foundation
@testable import Orchestrator
import Testing

/// The ports `up` gives its nodes and etcd members: never ephemeral ones, which any outgoing
/// connection may take between our check and the member's bind.
@Suite("Free ports for the servers we start")
struct FreePortsTests {
    @Test func portsAreDistinctBindableAndBelowTheEphemeralRange() throws {
        let range = try #require(FreePorts.drawRange(), "this kernel's ephemeral range starts above 21000")
        var seen = Set<Int>()
        for _ in 0..<20 {
            let ports = try FreePorts.take(6)
            #expect(ports.allSatisfy(range.contains), "\(ports) outside \(range)")
            #expect(Set(ports).count == ports.count, "\(ports)")
            seen.formUnion(ports)
        }
        #expect(seen.count == 120, "one process hands out no port twice in a row")
        let low = try #require(Int(String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)
            .split(whereSeparator: \.isWhitespace)[0]))
        #expect(range.upperBound < low)
    }

    @Test func aPortSomebodyListensOnIsNeverHandedOut() throws {
        let range = try #require(FreePorts.drawRange())
        // Occupy a small window of the range, then draw until the draw has landed in it often.
        let listeners = try (0..<64).map { _ in try listen(onAnyOf: range) }
        defer { for (fd, _) in listeners { close(fd) } }
        let occupied = Set(listeners.map(\.port))
        for _ in 0..<200 {
            let ports = try FreePorts.take(8)
            #expect(occupied.isDisjoint(with: ports), "\(ports) includes a port in use")
        }
    }

    private func listen(onAnyOf range: ClosedRange<Int>) throws -> (Int32, port: Int) {
        while true {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            let port = Int.random(in: range)
            addr.sin_port = UInt16(port).bigEndian
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            let ok = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            } == 0 && Glibc.listen(fd, 1) == 0
            if ok { return (fd, port) }
            close(fd)
        }
    }
}
