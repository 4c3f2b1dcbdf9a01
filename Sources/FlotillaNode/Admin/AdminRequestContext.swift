import FlotillaAPI
import Hummingbird

/// One admin API request's context: bodies decode through `AdminRequestDecoder`, up to `AdminServer.maxBody` bytes.
struct AdminRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    var maxUploadSize: Int { AdminServer.maxBody }

    var requestDecoder: AdminRequestDecoder { AdminRequestDecoder() }

    /// The matched route's path parameter `name`.
    func parameter(_ name: String) throws(APIError) -> String {
        guard let value = parameters.get(name) else { throw APIError("missing \(name)", code: .badRequest) }
        return value
    }
}
