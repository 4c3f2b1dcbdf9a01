import FlotillaAPI
import Hummingbird

/// Turns whatever escapes a route into the API's JSON error `{"error", "code"}`, so no answer
/// is ever an empty or HTML body: an `APIError` as itself, an error the HTTP framework raised
/// with its status, anything else as a 500.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let e as APIError {
            return e.response
        } catch let e as any HTTPResponseError {
            let message = (e as? HTTPError)?.body ?? e.status.reasonPhrase
            return .json(APIError(message, code: APIErrorCode(status: e.status)), status: e.status)
        } catch {
            return APIError("internal error: \(error)", code: .internal).response
        }
    }
}
