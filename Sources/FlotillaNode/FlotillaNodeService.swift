import AsyncHTTPClient
import FlotillaAPI
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus
import NodeCore
import NodeStorage
import PeerTransport
import RaftCore
import ServiceLifecycle
import UnixSignals

/// Why a node could not start, in words an operator can act on.
public struct NodeStartupError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// One node process: opens its storage, starts the peer transport, the Raft driver, the
/// task executor and the admin API, and stops them in order on SIGTERM or SIGINT.
public enum FlotillaNodeService {
    public static func run(_ config: NodeConfig, logger: Logger) async throws {
        DescriptorBudget.raiseOpenFileLimit()
        var storage = StorageOptions()
        if let bytes = config.walSegmentBytes { storage.segmentSize = bytes }
        let node = try await NodeRuntime.open(config, storage: storage, logger: logger)
        let (driver, api, inbox) = (node.driver, node.api, node.inbox)
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
        let executor = TaskExecutor(node: config.id, allowShell: config.allowShell, logger: logger) { inbox.push(.report($0)) }
        // Shell tasks' child-process machinery is made now, while descriptors are plenty (see ShellProcess.prepare).
        if config.allowShell { await ShellProcess.prepare() }
        let forwarder = ReportForwarder(http: http, token: config.token, logger: logger)
        await driver.setHooks(RaftDriver.Hooks(
            start: { executor.start($0) },
            stop: { executor.stop($0) },
            forward: { forwarder.send($0, to: $1) },
            fatal: { message in
                logger.critical("stopping: \(message)")
                LastWords.die(node: config.id, message, status: 3)
            }))

        let limits = config.adminLimits
        // The admin API's sockets on event loops of their own: hundreds of streams and large
        // answers never queue ahead of the peer transport's heartbeats (on NIO's shared loops).
        let adminLoops = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let crowded = api.metrics.adminClosed["crowded"]
        let headless = HeadlessConnections { crowded?.increment() }
        let app = Application(
            router: AdminServer(api: api).router(),
            server: AdminChannel.server(limits: limits, metrics: api.metrics, headless: headless),
            configuration: .init(address: .hostname(config.adminHost, port: config.adminPort), serverName: "flotilla",
                                 availableConnectionsDelegate: DescriptorBudget(maxConnections: limits.maxConnections, headless: headless)),
            eventLoopGroupProvider: .shared(adminLoops),
            logger: logger)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: DriverService(driver: driver)), .init(service: app)]
        if let check = await driver.pendingFounderCheck {
            let founder = FounderService(check: check, evidence: driver.evidence, token: config.token, http: http, logger: logger) { inbox.push(.founders($0)) }
            services.append(.init(service: founder, successTerminationBehavior: .ignore, failureTerminationBehavior: .ignore))
        }
        if let join = config.join, node.startedEmpty {
            let joiner = JoinService(config: config, incarnation: driver.incarnation, target: join, http: http, logger: logger,
                                     onRefused: { reason in
                                         logger.critical("refusing to take part: \(reason)")
                                         LastWords.die(node: config.id, reason, status: 3)
                                     }) { members in
                var hints: [String: String] = [:]
                for m in members where !m.raftAddress.isEmpty { hints[m.id] = m.raftAddress }
                inbox.push(.peerHints(hints))
            }
            // Joining finishes; the node goes on.
            services.append(.init(service: joiner, successTerminationBehavior: .ignore, failureTerminationBehavior: .ignore))
        }
        // Last in, so first to hear of a shutdown: waiting writes are answered before the API stops.
        services.append(.init(service: DrainService(api: api, logger: logger)))
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch {
            logger.error("stopped with an error: \(error)")
        }
        executor.stopAll()
        api.events.finishAll()
        try? await adminLoops.shutdownGracefully()
        try? await http.shutdown()
        await node.close()
        logger.notice("\(NodeLogLines.shutDown)")
    }
}

/// Runs the driver loop as a service, stopping it on graceful shutdown.
struct DriverService: Service {
    let driver: RaftDriver

    func run() async throws {
        await withGracefulShutdownHandler {
            await driver.run()
        } onGracefulShutdown: {
            driver.stop()
        }
    }
}

/// Waits for the graceful shutdown, then answers every write still waiting for an outcome
/// (503, "shutting down") and refuses new requests while the admin API drains.
struct DrainService: Service {
    let api: NodeAPI
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        logger.info("shutting down: answering waiting writes and refusing new requests")
        api.shutdown.begin()
        api.deadlines.stop()
        api.driver.board.releaseWatchers()
    }
}

/// Asks a running cluster to add this node as a learner, retrying until admitted.
struct JoinService: Service {
    let config: NodeConfig
    let incarnation: UInt64
    let target: String
    let http: HTTPClient
    let logger: Logger
    /// The cluster knows this id as another incarnation: the node must not take part.
    let onRefused: @Sendable (String) -> Void
    /// Told the members (and their addresses) the contact knows, before and after admission.
    let onMembers: @Sendable ([MemberInfo]) -> Void

    func fetchMembers(_ address: String) async {
        guard let response = try? await http.execute(HTTPClientRequest(url: "http://\(address)/v1/members"), timeout: .seconds(5)),
              response.status.code == 200,
              let body = try? await response.body.collect(upTo: 1 << 20),
              let list = try? JSONDecoder().decode(MemberList.self, from: Data(body.readableBytesView)) else { return }
        onMembers(list.members)
    }

    func run() async throws {
        let join = JoinRequest(id: config.id, raftAddress: config.raftAddress, adminAddress: config.adminAddress, slots: config.slots,
                               incarnation: Incarnation.text(incarnation))
        var delay = 200
        var address = target
        for attempt in 1...600 {
            var request = HTTPClientRequest(url: "http://\(address)/v1/members")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            if let token = config.token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
            request.body = .bytes(.json(join))
            await fetchMembers(address)
            do {
                let response = try await http.execute(request, timeout: .seconds(10))
                let body = try await response.body.collect(upTo: 1 << 16)
                if response.status.code == 202 {
                    if attempt == 1 || attempt % 10 == 0 { logger.info("waiting for an operator to approve the join (flotilla approve \(config.id))") }
                    try await Task.sleep(for: .seconds(1))
                    continue
                }
                if (200..<300).contains(Int(response.status.code)) {
                    logger.info("joined the cluster through \(address) as a learner")
                    await fetchMembers(address)
                    return
                }
                if response.status.code == 307, let location = response.headers.first(name: "Location"),
                   let url = URL(string: location), let host = url.host, let port = url.port {
                    address = "\(host):\(port)"
                    continue
                }
                let text = String(buffer: body)
                if response.status.code == 400 && text.contains("already a member") {
                    logger.info("admitted to the cluster")
                    await fetchMembers(address)
                    return
                }
                if response.status.code == 409, let error = try? JSONDecoder().decode(APIError.self, from: Data(body.readableBytesView)),
                   error.error.contains("flotilla replace") {
                    onRefused(error.error)
                    return
                }
                if response.status.code == 401 || (response.status.code == 409 && text.contains("denied")) {
                    logger.error("join refused by \(target): \(text)")
                    return
                }
                logger.warning("join attempt \(attempt) through \(target): \(response.status.code) \(text)")
            } catch {
                logger.warning("join attempt \(attempt) through \(target) failed: \(error)")
            }
            try await Task.sleep(for: .milliseconds(delay))
            delay = min(delay * 2, 3000)
        }
        logger.error("gave up joining through \(target)")
    }
}
