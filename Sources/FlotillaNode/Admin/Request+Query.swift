import FlotillaAPI
import Hummingbird

extension Request {
    /// The query parameter `name`, percent-decoded, when present.
    func query(_ name: String) -> String? {
        uri.queryParameters[name[...]].map(String.init)
    }

    /// The integer query parameter `name`: absent gives `value`; anything but an integer in `range` is a 400.
    func integer(_ name: String, default value: Int, in range: ClosedRange<Int>) throws(APIError) -> Int {
        guard let raw = query(name) else { return value }
        guard let n = Int(raw), range.contains(n) else {
            throw APIError("\(name) must be an integer from \(range.lowerBound) to \(range.upperBound) (got \"\(raw.prefix(40))\")", code: .badRequest)
        }
        return n
    }
}
