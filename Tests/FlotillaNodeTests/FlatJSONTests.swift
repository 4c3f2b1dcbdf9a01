import BinaryCoding
import FlotillaAPI
import Foundation
import HTTPTypes
import NIOCore
import Testing
@testable import FlotillaNode

/// The submit route's shortcuts around Foundation's coders must agree with those coders on
/// every input they take, and take the bodies clients really send.
@Suite("Submit fast paths")
struct FlatJSONTests {
    static func fast(_ body: String) -> TaskSubmission? {
        Array(body.utf8).withUnsafeBytes { TaskSubmission(flatJSON: $0) }
    }

    static func foundation(_ body: String) -> TaskSubmission? {
        try? JSONDecoder().decode(TaskSubmission.self, from: Data(body.utf8))
    }

    @Test(arguments: [
        #"{"kind":"echo","args":{"text":"bench"}}"#,
        #"{"kind":"sleep","args":{"ms":"200"},"key":"load-1f3a-17","maxAttempts":3,"timeoutMs":5000}"#,
        #" { "kind" : "hash" , "target" : "n2" , "args" : { } , "key" : null } "#,
        #"{"args":{"a":"1","b":"2"},"kind":"echo","maxAttempts":-4,"timeoutMs":0}"#,
        #"{"kind":"echo","maxAttempts":999999999999999999,"timeoutMs":999999999999999999}"#,
        "{\n\t\"kind\": \"echo\"\r\n}",
    ])
    func theBodiesClientsSendTakeTheShortcut(body: String) throws {
        let fast = try #require(Self.fast(body))
        #expect(fast == Self.foundation(body))
    }

    @Test(arguments: [
        #"{"kind":"ech\"o"}"#, #"{"kind":"\u0065cho"}"#, #"{"kind":"é"}"#, #"{"kind":"echo","extra":1}"#,
        #"{"kind":"echo","kind":"sleep"}"#, #"{"kind":"echo","args":{"a":"1","a":"2"}}"#,
        #"{"kind":"echo","maxAttempts":1.5}"#, #"{"kind":"echo","maxAttempts":1e2}"#,
        #"{"kind":"echo","maxAttempts":007}"#, #"{"kind":"echo","maxAttempts":-0}"#,
        #"{"kind":"echo","timeoutMs":-5}"#, #"{"kind":"echo","timeoutMs":12345678901234567890}"#,
        #"{"kind":"echo","maxAttempts":99999999999999999999}"#, #"{"kind":"echo","maxAttempts":-9999999999999999999}"#,
        #"{"kind":"echo","args":{"a":{"b":"c"}}}"#, #"{"kind":"echo","args":{"a":1}}"#,
        #"{"kind":"echo","args":[]}"#, #"{"kind":null}"#, #"{"kind":"echo"} x"#, #"{"kind":"echo""#,
        #"["kind"]"#, "", #"{"kind":"echo",}"#, #"{"kind":"echo","key":nul}"#, #"{"kind":true}"#,
    ])
    func everythingElseGoesToFoundation(body: String) {
        #expect(Self.fast(body) == nil)
    }

    /// Seeded bodies near the shape: wherever the shortcut answers, Foundation must answer the same.
    @Test func theShortcutAgreesWithFoundationOnGeneratedBodies() {
        var rng = SplitMix64(seed: 0xF1A7)
        var taken = 0
        let count = 20_000
        let alphabet = Array(#"{}[]":,-0123456789 nulkidargs\e."#)
        for i in 0..<count {
            // Every fourth body is noise from the characters the reader cares about.
            let body = i % 4 == 3
                ? String((0..<Int.random(in: 0...40, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
                : Self.body(&rng)
            guard let fast = Self.fast(body) else { continue }
            taken += 1
            #expect(Self.foundation(body) == fast, "body: \(body)")
        }
        // Vacuous if the shortcut never answered; most generated bodies are meant to miss it.
        #expect(taken > count / 20)
    }

    @Test(arguments: ["t-1", "t-123456789", "a.b_C-9", "t/1", "t\"1", "ключ", "", "t 1", "t\\1"])
    func theSubmitAnswerHasFoundationsBytes(id: String) {
        for duplicate in [false, true] {
            let result = SubmitResult(id: id, duplicate: duplicate)
            #expect(String(buffer: result.json) == String(buffer: .json(result)))
        }
    }

    @Test func aHeaderValueIsTheJoinedValueOfItsFields() {
        var fields = HTTPFields()
        #expect(fields.value(of: .contentType) == nil)
        fields.append(HTTPField(name: .contentType, value: "application/json"))
        fields.append(HTTPField(name: .accept, value: "*/*"))
        #expect(fields.value(of: .contentType) == "application/json")
        fields.append(HTTPField(name: .contentType, value: "text/plain"))
        #expect(fields.value(of: .contentType) == fields[.contentType])
        #expect(fields.value(of: .contentType) == "application/json, text/plain")
    }

    // MARK: Generated bodies

    static func body(_ rng: inout SplitMix64) -> String {
        let keys = ["kind", "args", "key", "target", "maxAttempts", "timeoutMs", "kind", "extra", "Kind", ""]
        var members: [String] = []
        if Int.random(in: 0..<10, using: &rng) > 0 { members.append("\"kind\":\(string(&rng))") }
        for _ in 0..<Int.random(in: 0...4, using: &rng) {
            let key = keys.randomElement(using: &rng)!
            members.append("\(space(&rng))\"\(key)\"\(space(&rng)):\(space(&rng))\(value(&rng))")
        }
        members.shuffle(using: &rng)
        var text = "\(space(&rng)){" + members.joined(separator: ",") + "}\(space(&rng))"
        switch Int.random(in: 0..<12, using: &rng) {
        case 0 where !text.isEmpty: text.removeLast(Int.random(in: 1...min(4, text.count), using: &rng))
        case 1: text.insert(["\"", "}", ",", ":", "x", "\\"].randomElement(using: &rng)!,
                            at: text.index(text.startIndex, offsetBy: Int.random(in: 0...text.count, using: &rng)))
        default: break
        }
        return text
    }

    static func value(_ rng: inout SplitMix64) -> String {
        switch Int.random(in: 0..<6, using: &rng) {
        case 0, 1: string(&rng)
        case 2: number(&rng)
        case 3: ["null", "true", "[]", "[\"a\"]"].randomElement(using: &rng)!
        default:
            "{" + (0..<Int.random(in: 0...3, using: &rng)).map { _ in
                let v = Int.random(in: 0..<8, using: &rng) == 0 ? number(&rng) : string(&rng)
                return "\(string(&rng)):\(space(&rng))\(v)"
            }.joined(separator: ",") + "}"
        }
    }

    static func string(_ rng: inout SplitMix64) -> String {
        let pieces = ["a", "echo", "n2", "t-1", " ", "/", "é", "🔑", "\\\"", "\\\\", "\\n", "\\u0041", "\t", "ms", "200"]
        let n = Int.random(in: 0...3, using: &rng)
        return "\"" + (0..<n).map { _ in
            Int.random(in: 0..<4, using: &rng) == 0 ? pieces.randomElement(using: &rng)! : ["a", "echo", "n2", "ms"].randomElement(using: &rng)!
        }.joined() + "\""
    }

    static func number(_ rng: inout SplitMix64) -> String {
        ["0", "-0", "1", "-1", "3", "007", "1.5", "1e3", "-", "12345678901234567", "123456789012345678",
         "1234567890123456789", "18446744073709551615", "9223372036854775807", "99999999999999999999",
         "999999999999999999", "-999999999999999999", "\(Int.random(in: -1000...100_000, using: &rng))"]
            .randomElement(using: &rng)!
    }

    static func space(_ rng: inout SplitMix64) -> String {
        ["", "", "", " ", "\n", "\t ", "\r\n"].randomElement(using: &rng)!
    }
}
