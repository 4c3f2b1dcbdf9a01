/// A reader for the shape of body that clients send at rate (`POST /v1/tasks`): one JSON
/// object whose values are plain strings, integers, `null`, or an object of plain strings.
///
/// It answers nil for anything outside that shape: escapes, bytes outside printable ASCII,
/// fractions and exponents, repeated keys, nesting, malformed input. The caller then gives the
/// body to Foundation's `JSONDecoder`, which remains the authority on JSON and writes every
/// error message. Under 64 writers, `JSONDecoder` alone took 8% of a leader's CPU on this body.
struct FlatJSON {
    enum Value: Equatable {
        case string(String)
        case integer(Int64)
        case null
        case object([String: String])
    }

    /// The members of the object in `bytes`, or nil when the body is outside the shape.
    static func members(_ bytes: UnsafeRawBufferPointer) -> [String: Value]? {
        var reader = FlatJSON(bytes: bytes)
        return reader.object(nested: false)
    }

    private let bytes: UnsafeRawBufferPointer
    private var at = 0

    private init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    private mutating func object(nested: Bool) -> [String: Value]? {
        guard take(UInt8(ascii: "{")) else { return nil }
        var out: [String: Value] = [:]
        if take(UInt8(ascii: "}")) { return finish(out, nested: nested) }
        repeat {
            guard let key = string(), take(UInt8(ascii: ":")), out[key] == nil else { return nil }
            guard let value = nested ? string().map(Value.string) : value() else { return nil }
            out[key] = value
        } while take(UInt8(ascii: ","))
        guard take(UInt8(ascii: "}")) else { return nil }
        return finish(out, nested: nested)
    }

    /// The outer object must end the body; a nested one goes on.
    private mutating func finish(_ members: [String: Value], nested: Bool) -> [String: Value]? {
        if nested { return members }
        skipSpace()
        return at == bytes.count ? members : nil
    }

    private mutating func value() -> Value? {
        skipSpace()
        guard at < bytes.count else { return nil }
        switch bytes[at] {
        case UInt8(ascii: "\""):
            return string().map(Value.string)
        case UInt8(ascii: "{"):
            guard let inner = object(nested: true) else { return nil }
            var strings: [String: String] = [:]
            for (k, v) in inner {
                guard case let .string(s) = v else { return nil }
                strings[k] = s
            }
            return .object(strings)
        case UInt8(ascii: "n"):
            for c in "null".utf8 { guard at < bytes.count, bytes[at] == c else { return nil }; at += 1 }
            return .null
        default:
            return integer().map(Value.integer)
        }
    }

    /// A string of printable ASCII without escapes.
    private mutating func string() -> String? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        let start = at
        while at < bytes.count {
            let c = bytes[at]
            if c == UInt8(ascii: "\"") {
                defer { at += 1 }
                return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<at]), as: UTF8.self)
            }
            guard c >= 0x20, c < 0x7F, c != UInt8(ascii: "\\") else { return nil }
            at += 1
        }
        return nil
    }

    /// `0`, or an optional minus and 1 to 18 digits without a leading zero.
    private mutating func integer() -> Int64? {
        let negative = at < bytes.count && bytes[at] == UInt8(ascii: "-")
        if negative { at += 1 }
        let start = at
        var n: Int64 = 0
        while at < bytes.count, bytes[at] >= UInt8(ascii: "0"), bytes[at] <= UInt8(ascii: "9") {
            guard at - start < 18 else { return nil }  // 18 digits cannot overflow
            n = n * 10 + Int64(bytes[at] - UInt8(ascii: "0"))
            at += 1
        }
        let digits = at - start
        guard digits > 0, digits == 1 || bytes[start] != UInt8(ascii: "0"), !(negative && n == 0) else { return nil }
        // A fraction or an exponent is not an integer here.
        if at < bytes.count, [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E")].contains(bytes[at]) { return nil }
        return negative ? -n : n
    }

    /// Skips whitespace, then consumes `byte` if it comes next.
    private mutating func take(_ byte: UInt8) -> Bool {
        skipSpace()
        guard at < bytes.count, bytes[at] == byte else { return false }
        at += 1
        return true
    }

    private mutating func skipSpace() {
        while at < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[at]) { at += 1 }
    }
}
