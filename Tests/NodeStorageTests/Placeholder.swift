import Testing
@testable import NodeStorage
