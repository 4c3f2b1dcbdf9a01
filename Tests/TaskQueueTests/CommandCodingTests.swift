import BinaryCoding
import Testing
import TestSupport
import TaskQueue

@Suite("Command binary encoding")
struct CommandCodingTests {
    @Test(arguments: Fixtures.everyCase)
    func roundTrips(_ command: Command) throws {
        let bytes = command.encode()
        #expect(try Command.decode(bytes) == command)
        // Canonical: decoding and encoding again gives the same bytes.
        #expect(try Command.decode(bytes).encode() == bytes)
    }

    @Test func everyCaseHasItsOwnTag() {
        let tags = Set(Fixtures.everyCase.map { $0.encode().first })
        #expect(tags.count == 8)
        #expect(Set(Fixtures.everyCase.map(\.name)).count == 8)
    }

    @Test(arguments: Fixtures.everyCase)
    func everyTruncationThrows(_ command: Command) {
        let bytes = command.encode()
        for length in 0..<bytes.count {
            #expect(throws: DecodingError.self, "prefix of \(length) of \(bytes.count) bytes") {
                try Command.decode(Array(bytes.prefix(length)))
            }
        }
    }

    @Test(arguments: Fixtures.everyCase)
    func trailingBytesAreRejected(_ command: Command) {
        let bytes = command.encode()
        #expect(throws: DecodingError.trailingBytes(offset: bytes.count, count: 1)) {
            try Command.decode(bytes + [0])
        }
    }

    @Test func unknownTagsAreRejected() {
        for tag in [UInt8(0)] + Array(10...255) {
            #expect(throws: DecodingError.unknownTag(offset: 0, tag: tag, type: "task command")) {
                try Command.decode([tag, 0, 0])
            }
        }
    }

    @Test func invalidUTF8IsRejected() {
        // cancel(task: <0xff 0xfe>, at: 0)
        #expect(throws: DecodingError.invalidUTF8(offset: 1)) {
            try Command.decode([6, 2, 0xff, 0xfe, 0])
        }
        // requeue(node: <lone continuation byte>, at: 0)
        #expect(throws: DecodingError.invalidUTF8(offset: 1)) {
            try Command.decode([8, 1, 0x80, 0])
        }
    }

    @Test(arguments: [0, -1, Int.min])
    func maxAttemptsBelowOneIsRejected(_ maxAttempts: Int) {
        let bytes = Command.submit(key: "k", spec: TaskSpec(kind: "echo", maxAttempts: maxAttempts), at: 1).encode()
        #expect(throws: DecodingError.self) { try Command.decode(bytes) }
        do {
            _ = try Command.decode(bytes)
        } catch {
            guard case .invalid = error else {
                Issue.record("expected .invalid, got \(error)")
                return
            }
        }
    }

    @Test func argumentsMustBeInCanonicalOrder() throws {
        func submit(_ pairs: [(String, String)]) -> [UInt8] {
            var w = ByteWriter()
            w.write(UInt8(1))        // submit
            w.write("k")
            w.write("echo")          // kind
            w.write(varint: pairs.count)
            for (key, value) in pairs {
                w.write(key)
                w.write(value)
            }
            w.write(optional: nil)   // target
            w.write(varint: 3)       // maxAttempts
            w.write(false)           // timeoutMs
            w.write(varint: 0)       // at
            return w.bytes
        }
        let ok = try Command.decode(submit([("a", "1"), ("b", "2")]))
        #expect(ok == .submit(key: "k", spec: TaskSpec(kind: "echo", args: ["a": "1", "b": "2"]), at: 0))
        #expect(throws: DecodingError.self) { try Command.decode(submit([("b", "2"), ("a", "1")])) }
        #expect(throws: DecodingError.self) { try Command.decode(submit([("a", "1"), ("a", "2")])) }
    }

    @Test func equalSpecsEncodeIdentically() {
        // Dictionaries built in different orders and sizes may iterate differently; the encoding must not.
        var forward: [String: String] = [:]
        var backward: [String: String] = [:]
        backward.reserveCapacity(500)
        let keys = (0..<200).map { "arg\($0)" }
        for key in keys { forward[key] = key.uppercased() }
        for key in keys.reversed() { backward[key] = key.uppercased() }
        let a = Command.submit(key: "k", spec: TaskSpec(kind: "echo", args: forward), at: 1).encode()
        let b = Command.submit(key: "k", spec: TaskSpec(kind: "echo", args: backward), at: 1).encode()
        #expect(a == b)
    }

    @Test func randomCommandsRoundTripAndEveryTruncationThrows() async throws {
        try await heavy { () async throws in
            var generator = CommandGenerator(seed: 99)
            var state = TaskQueueState()
            var checked = 0
            for _ in 0..<2_000 {
                for command in generator.next(for: state) {
                    if case let .submit(_, spec, _) = command, spec.maxAttempts < 1 {
                        #expect(throws: DecodingError.self) { try Command.decode(command.encode()) }
                    } else {
                        let bytes = command.encode()
                        #expect(try Command.decode(bytes) == command)
                        for length in 0..<bytes.count {
                            #expect(throws: DecodingError.self) { try Command.decode(Array(bytes.prefix(length))) }
                        }
                    }
                    _ = state.apply(command)
                    checked += 1
                }
            }
            #expect(checked >= 2_000)
        }
    }
}
