/// Why a byte stream is not a valid sequence of frames.
public enum FrameError: Error, Equatable, Sendable, CustomStringConvertible {
    case frameTooLarge(length: UInt32, limit: Int)
    /// A length prefix above the small limit that holds until the peer has proved itself.
    case tooLargeBeforeHandshake(length: UInt32, limit: Int)
    /// A partial frame received no byte for `after`.
    case stalled(received: Int, of: Int, after: Duration)

    public var description: String {
        switch self {
        case let .frameTooLarge(length, limit):
            "frame of \(length) bytes exceeds the limit of \(limit) (a peer with a larger --max-frame-size, or not a Flotilla peer at all)"
        case let .tooLargeBeforeHandshake(length, limit):
            "frame of \(length) bytes before the handshake completed exceeds the limit of \(limit) (not a Flotilla peer of this version)"
        case let .stalled(received, length, after):
            "a partial frame (\(received) of \(length) bytes) made no progress for \(after)"
        }
    }
}
