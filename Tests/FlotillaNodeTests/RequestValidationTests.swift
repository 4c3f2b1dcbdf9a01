import FlotillaAPI
import Testing
@testable import FlotillaNode

/// The checks a decoded body passes before anything reaches the log.
@Suite("Request validation")
struct RequestValidationTests {
    @Test func theChecksRefuseWhatMustNotReachTheLog() {
        #expect(RequestValidation.problem(TaskSubmission(kind: "echo", maxAttempts: 0)) != nil)
        #expect(RequestValidation.problem(TaskSubmission(kind: "echo", maxAttempts: -5)) != nil)
        #expect(RequestValidation.problem(TaskSubmission(kind: "echo", maxAttempts: 101)) != nil)
        #expect(RequestValidation.problem(TaskSubmission(kind: "echo", timeoutMs: 0)) != nil)
        #expect(RequestValidation.problem(TaskSubmission(kind: "echo", key: "")) != nil)
        #expect(RequestValidation.problem(TaskSubmission(kind: "echo", key: "k", maxAttempts: 3, timeoutMs: 1000)) == nil)
        #expect(RequestValidation.problem(id: "n4", raftAddress: "127.0.0.1:7104", adminAddress: "127.0.0.1:8104", slots: 2) == nil)
        #expect(RequestValidation.problem(id: "n 4", raftAddress: "127.0.0.1:7104", adminAddress: "127.0.0.1:8104", slots: 2) != nil)
        #expect(RequestValidation.problem(id: "n4", raftAddress: "1.2.3.4:1 admin=evil:2", adminAddress: "127.0.0.1:8104", slots: 2) != nil)
        #expect(RequestValidation.problem(id: "n4", raftAddress: "127.0.0.1:0", adminAddress: "127.0.0.1:8104", slots: nil) != nil)
        #expect(RequestValidation.problem(id: "n4", raftAddress: "127.0.0.1:7104", adminAddress: "nohost", slots: nil) != nil)
        #expect(RequestValidation.problem(id: "n4", raftAddress: "127.0.0.1:7104", adminAddress: "127.0.0.1:8104", slots: -1) != nil)
    }
}
