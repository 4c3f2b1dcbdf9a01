import FlotillaAPI
import NIOCore

extension SubmitResult {
    /// The bytes `ByteBuffer.json(self)` gives, written without `JSONEncoder` when the id needs
    /// no escaping (as no id the queue makes does): every submit is answered with one.
    var json: ByteBuffer {
        guard removed == nil, id.utf8.allSatisfy(Self.isPlain) else { return .json(self) }
        var out = ByteBuffer()
        out.writeString(duplicate ? "{\"duplicate\":true,\"id\":\"" : "{\"duplicate\":false,\"id\":\"")
        out.writeString(id)
        out.writeString("\"}")
        return out
    }

    private static func isPlain(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."): true
        default: false
        }
    }
}
