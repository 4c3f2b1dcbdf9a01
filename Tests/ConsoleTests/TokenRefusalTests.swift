import FlotillaAPI
import Foundation
import Orchestrator
import Testing
@testable import Console

/// `--connect` with no or a wrong token: the console says so, marks the keys the nodes will
/// refuse, and a refused heal is "unauthorized", never "not answering".
@Suite("A refused token")
struct TokenRefusalTests {
    static func refusedModel() -> ConsoleModel {
        var m = GoldenScreenTests.busyModel()
        m.local = false
        m.recording = false
        m.tokenRefused = true
        m.events.append(ControlEvent(.action, "\(TokenCheck.advice): the nodes refuse this console's token; the keys marked * will be refused",
                                     reason: "token", ok: false, at: t0, category: "token"))
        return m
    }

    @Test func theKeysThatNeedTheTokenAreMarkedInTheBarAndTheHelp() {
        let keys = KeyMap()
        let bar = keys.barText(readonly: false, local: false, width: 300, tokenRefused: true)
        #expect(bar.contains("p partition*") && bar.contains("h heal*") && bar.contains("F faults ") && bar.contains("? help "), "\(bar)")
        #expect(!keys.barText(readonly: false, local: false, width: 300).contains("*"))
        let help = keys.help(readonly: false, local: false, tokenRefused: true)
        #expect(help.contains { $0.hasPrefix("h ") && $0.contains("refused: unauthorized: set FLOTILLA_TOKEN") }, "\(help)")
        #expect(!help.contains { $0.hasPrefix("F ") && $0.contains("refused") })
    }

    @Test func aHealTheNodesRefusedIsUnauthorizedNotNotAnswering() {
        var r = HealReport()
        r.unauthorized = ["n1", "n2", "n3"]
        #expect(!r.complete)
        #expect(r.summary.contains("unauthorized: set FLOTILLA_TOKEN") && !r.summary.contains("not answering"), "\(r.summary)")
    }

    @Test func theHeaderSaysTheTokenIsRefused() {
        let lines = HonestFrameTests.rows(Self.refusedModel(), width: 80, height: 24)
        #expect(lines[0].contains("token refused (* keys)"), "\(lines[0])")
    }

    @Test(arguments: [(80, 24), (160, 45)])
    func aConsoleWithoutATokenMatchesItsGolden(_ size: (Int, Int)) throws {
        try GoldenScreenTests().matchGolden("token-refused", Self.refusedModel(), size)
    }
}
