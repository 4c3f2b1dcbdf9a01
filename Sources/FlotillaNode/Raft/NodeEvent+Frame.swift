import FlotillaAPI
import NIOCore

extension NodeEvent {
    /// The event as a server-sent-event frame (`id`, `event`, `data` with the event's JSON),
    /// written by hand: every node records an event per applied submit, on the Raft loop, and
    /// a `JSONEncoder` for each was 5% of a node's CPU under a write load. The JSON decodes to
    /// what `JSONEncoder` gives (strings escaped as JSON requires; `EventFrameTests` holds the two equal).
    var frame: ByteBuffer {
        var out = ByteBuffer()
        out.reserveCapacity(96 + node.utf8.count + kind.utf8.count + message.utf8.count)
        out.writeString("id: \(seq)\nevent: ")
        out.writeString(kind)
        out.writeString("\ndata: {\"seq\":\(seq),\"atMs\":\(atMs),\"node\":")
        Self.writeJSONString(node, to: &out)
        out.writeString(",\"kind\":")
        Self.writeJSONString(kind, to: &out)
        out.writeString(",\"term\":\(term),\"message\":")
        Self.writeJSONString(message, to: &out)
        out.writeString("}\n\n")
        return out
    }

    /// `text` as a JSON string: quotes, backslashes and control characters escaped, the rest as UTF-8.
    static func writeJSONString(_ text: String, to out: inout ByteBuffer) {
        out.writeInteger(UInt8(ascii: "\""))
        var plainFrom = text.utf8.startIndex
        for i in text.utf8.indices {
            let c = text.utf8[i]
            guard c < 0x20 || c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") else { continue }
            out.writeBytes(text.utf8[plainFrom..<i])
            switch c {
            case UInt8(ascii: "\""): out.writeString("\\\"")
            case UInt8(ascii: "\\"): out.writeString("\\\\")
            case UInt8(ascii: "\n"): out.writeString("\\n")
            case UInt8(ascii: "\r"): out.writeString("\\r")
            case UInt8(ascii: "\t"): out.writeString("\\t")
            default:
                let hex = Array("0123456789abcdef".utf8)
                out.writeBytes([UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(c >> 4)], hex[Int(c & 0xf)]])
            }
            plainFrom = text.utf8.index(after: i)
        }
        out.writeBytes(text.utf8[plainFrom...])
        out.writeInteger(UInt8(ascii: "\""))
    }
}
