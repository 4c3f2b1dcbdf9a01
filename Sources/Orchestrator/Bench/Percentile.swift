/// The value at quantile `q` of sorted `values` (0 when empty): the nearest-rank percentile every benchmark prints.
func percentile(_ values: [Double], _ q: Double) -> Double {
    guard !values.isEmpty else { return 0 }
    let i = min(values.count - 1, Int((q * Double(values.count)).rounded(.up)) - 1)
    return values[max(0, i)]
}
