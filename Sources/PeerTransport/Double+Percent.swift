extension Double {
    /// A share of messages as the operator gave it: 0.1 is `10%`, 0.125 is `12.5%` (the one unit
    /// the console, the CLI and the node's log all use).
    var percentText: String {
        let v = self * 100
        return v == v.rounded() ? "\(Int(v))%" : "\((v * 10).rounded() / 10)%"
    }
}
