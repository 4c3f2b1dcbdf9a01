import BinaryCoding

/// What the generated histories draw besides the shared generator's own.
extension SplitMix64 {
    /// A number in `range`.
    mutating func next(in range: ClosedRange<Int64>) -> Int64 {
        range.lowerBound + Int64(next() % UInt64(range.upperBound - range.lowerBound + 1))
    }

    /// True `percent` times in a hundred.
    mutating func chance(percent: Int) -> Bool {
        next() % 100 < UInt64(percent)
    }
}
