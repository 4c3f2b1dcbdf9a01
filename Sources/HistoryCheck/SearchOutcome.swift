/// What one search over one partition concluded.
enum SearchOutcome {
    case linearizable
    case notLinearizable
    /// The budget ran out, or the caller stopped the search.
    case stopped
}
