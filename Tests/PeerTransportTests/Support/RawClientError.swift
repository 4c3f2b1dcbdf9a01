/// A hand-spoken exchange that did not go as the test expected.
struct RawClientError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
