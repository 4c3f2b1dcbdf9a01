import FlotillaAPI
import PeerTransport

extension FaultRules {
    /// The transport's rules for what `PUT /v1/faults` was sent (already checked for problems).
    init(_ spec: FaultSpec) {
        self.init(drop: Set(spec.drop), direction: Direction(rawValue: spec.direction.rawValue) ?? .both,
                  delayMs: spec.delayMs, loss: spec.loss, jitterMs: spec.jitterMs, duplicate: spec.duplicate,
                  reorder: spec.reorder, links: spec.links.mapValues(LinkFault.init))
    }
}

extension LinkFault {
    init(_ spec: LinkFaultSpec) {
        self.init(delayMs: spec.delayMs, jitterMs: spec.jitterMs, loss: spec.loss, duplicate: spec.duplicate, reorder: spec.reorder)
    }
}

extension FaultSpec {
    /// The rules as the admin API reports them.
    init(_ rules: FaultRules) {
        self.init(drop: rules.drop.sorted(), direction: .named(rules.direction.rawValue), delayMs: rules.delayMs,
                  loss: rules.loss, jitterMs: rules.jitterMs, duplicate: rules.duplicate, reorder: rules.reorder,
                  links: rules.links.mapValues(LinkFaultSpec.init))
    }
}

extension LinkFaultSpec {
    init(_ fault: LinkFault) {
        self.init(delayMs: fault.delayMs, jitterMs: fault.jitterMs, loss: fault.loss, duplicate: fault.duplicate, reorder: fault.reorder)
    }
}
