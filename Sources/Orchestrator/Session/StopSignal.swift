import Foundation
import Synchronization

/// Set once SIGINT or SIGTERM arrives; the process no longer dies of them, so whoever holds it
/// must look and wind down (stop an owned cluster, restore the terminal).
/// Unchecked: the signal sources are set up in `init` and never touched again; the flag is a `Mutex`.
public final class StopSignal: @unchecked Sendable {
    private let sources: [any DispatchSourceSignal]
    private let flag = Mutex(false)

    /// The process's own, installed on first use: a run that starts a cluster takes it before
    /// the first member starts, so a signal in between is seen, not fatal.
    public static let shared = StopSignal()

    public init() {
        var sources: [any DispatchSourceSignal] = []
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            sources.append(DispatchSource.makeSignalSource(signal: sig, queue: .global()))
        }
        self.sources = sources
        for s in sources {
            s.setEventHandler { [weak self] in self?.flag.withLock { $0 = true } }
            s.resume()
        }
    }

    public var requested: Bool { flag.withLock { $0 } }
}
