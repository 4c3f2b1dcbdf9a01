import ArgumentParser
import Foundation
import Orchestrator

/// How a command finds its cluster: a local cluster directory or running nodes' addresses.
struct ClusterOptions: ParsableArguments {
    @Option(help: "Local cluster directory (default ./flotilla-cluster).") var dir: String?
    @Option(help: "Admin address(es) of running nodes, HOST:PORT[,…].") var connect: String?
    @Option(name: [.customShort("o"), .long], help: "Output: table or json.") var output: OutputFormat = .table

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable { case table, json }

    var directory: String { dir ?? "./flotilla-cluster" }

    /// The members to talk to, and the token to use.
    func resolve() async throws -> (members: [(id: String, admin: String)], client: AdminClient) {
        if let connect {
            let token = ProcessInfo.processInfo.environment["FLOTILLA_TOKEN"]
            let client = AdminClient(token: token)
            do {
                let members = try await ClusterView.discover(connect.split(separator: ",").map(String.init), client: client)
                return (members, client)
            } catch {
                await client.shutdown()
                throw error
            }
        }
        let launcher = Launcher(directory: directory)
        let spec = try launcher.load()
        return (spec.nodes.map { ($0.id, $0.adminAddress) }, AdminClient(token: try launcher.token()))
    }
}

/// Prints an operator error on one line and exits non-zero, never a stack trace.
func fail(_ message: String, code: Int32 = 1) -> ExitCode {
    FileHandle.standardError.write(Data("flotilla: \(message)\n".utf8))
    return ExitCode(code)
}
