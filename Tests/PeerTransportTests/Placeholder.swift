import Testing
@testable import PeerTransport
