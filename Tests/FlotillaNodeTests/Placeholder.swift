import Testing
@testable import FlotillaNode
