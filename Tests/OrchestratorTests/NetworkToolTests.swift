import Foundation
import Orchestrator
import Testing
import TestSupport

/// How a network tool's run is reported: its output, its failure in its own words, a deadline.
/// Checked with /bin/sh standing in for `ip` and `nft`, so no privileges are needed.
@Suite("Network tool runs")
struct NetworkToolTests {
    @Test func aToolsOutputComesBackWithItsStderr() async throws {
        let text = try await NetworkTool.run("/bin/sh", ["-c", "echo table; echo note >&2"])
        #expect(text == "table\nnote\n")
    }

    @Test func aFailingToolIsQuotedWithItsExitAndWhatItSaid() async throws {
        do {
            _ = try await NetworkTool.run("/bin/sh", ["-c", "echo 'Error: no such table' >&2; exit 2"])
            Issue.record("exit 2 did not throw")
        } catch {
            #expect("\(error)" == "sh -c echo 'Error: no such table' >&2; exit 2 failed (exit 2): Error: no such table")
        }
        do {
            _ = try await NetworkTool.run("/bin/sh", ["-c", "kill -9 $$"])
            Issue.record("a killed tool did not throw")
        } catch {
            #expect("\(error)".hasSuffix("failed (signal 9)"), "\(error)")
        }
    }

    @Test func aToolPastItsDeadlineIsKilledAndReported() async throws {
        let mark = "0.000\(UInt32.random(in: 100_000_000...999_999_999))"
        let started = ContinuousClock.now
        do {
            // The sleep would run 10 minutes: a run back well before that was cut off, however
            // long a loaded machine took to get there.
            _ = try await withHangGuard(.seconds(300)) { try await NetworkTool.run("/bin/sleep", ["600", mark], within: .milliseconds(300)) }
            Issue.record("a tool past its deadline did not throw")
        } catch {
            #expect("\(error)".hasSuffix("did not finish within 0.3 seconds"), "\(error)")
        }
        #expect(ContinuousClock.now - started < .seconds(300))
        try await eventually("the sleep to be gone", timeout: .seconds(20)) {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
            return !entries.contains { name in
                guard Int(name) != nil, let argv = FileManager.default.contents(atPath: "/proc/\(name)/cmdline") else { return false }
                return String(decoding: argv, as: UTF8.self).split(separator: "\0").contains { $0 == mark }
            }
        }
    }

    @Test func aMissingToolIsACleanError() async throws {
        await #expect(throws: (any Error).self) { try await NetworkTool.run("/nonexistent/ip", ["link"]) }
    }
}
