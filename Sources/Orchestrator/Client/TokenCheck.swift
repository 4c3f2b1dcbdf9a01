import FlotillaAPI

/// Whether a node takes the token a client holds, asked without changing anything: a rules
/// write (`PUT /v1/faults`) whose body is not rules. The token is checked before the body is
/// read, so a refused token answers 401 and an accepted one 400, and no rule is set either way.
public enum TokenCheck: Sendable, Equatable {
    case accepted
    /// The node wants a token and this one is missing or wrong.
    case refused
    /// The node did not answer, or answered something else: nothing is known.
    case unknown(String)

    public static func check(_ admin: AdminClient, at address: String) async -> TokenCheck {
        do {
            let _: FaultSpec = try await admin.call("PUT", address, "/v1/faults", body: "token check", timeout: .seconds(2))
            return .unknown("\(address) took a rules write that was not rules")
        } catch let e as APIError where e.code == APIErrorCode.unauthorized {
            return .refused
        } catch let e as APIError where e.code == APIErrorCode.badRequest {
            return .accepted
        } catch {
            return .unknown("\(error)")
        }
    }

    /// What the console and the CLI say about a refused token.
    public static let advice = "unauthorized: set FLOTILLA_TOKEN"
}
