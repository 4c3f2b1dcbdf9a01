import FlotillaAPI
import Hummingbird

/// Turns whatever escapes a route (an unknown route, a wrong method, an unexpected error) into
/// the API's JSON error `{"error", "code"}`, so no answer is ever an empty or HTML body.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let e as HTTPError {
            let (message, code): (String, String)
            switch e.status.code {
            case 404: (message, code) = ("no route \(request.method) \(request.uri.path); see GET /v1/status, /v1/tasks, /v1/members", APIErrorCode.notFound)
            case 405: (message, code) = ("\(request.method) is not allowed on \(request.uri.path)", APIErrorCode.badRequest)
            case 413: (message, code) = (e.body ?? "request body too large", APIErrorCode.tooLarge)
            case 400..<500: (message, code) = (e.body ?? "bad request", APIErrorCode.badRequest)
            default: (message, code) = (e.body ?? "internal error", APIErrorCode.internal)
            }
            return json(APIError(message, code: code), status: e.status)
        } catch let e as APIError {
            return json(e, status: .internalServerError)
        } catch {
            return json(APIError("internal error: \(error)", code: APIErrorCode.internal), status: .internalServerError)
        }
    }
}
