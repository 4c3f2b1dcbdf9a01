/// Which end of a connection a proof comes from; bound into it, so a proof made as one end
/// cannot be reflected back as the other's.
enum HandshakeRole: UInt8, Sendable {
    case dialer = 1
    case acceptor = 2
}
