import BinaryCoding

extension SplitMix64 {
    /// One of `values`, chosen uniformly.
    mutating func pick<T>(_ values: [T]) -> T { values[below(values.count)] }
}
