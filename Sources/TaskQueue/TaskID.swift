/// A task's identifier, `"t-1"`, `"t-2"`, …: assigned sequentially when a submit is applied,
/// so every replica that applies the same log names every task the same way.
public typealias TaskID = String
