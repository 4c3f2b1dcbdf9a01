/// A body a route may receive empty: decoding `T?` takes an empty body as nil, where `T` answers 400.
protocol OptionalBody {
    static var absent: Self { get }
}

extension Optional: OptionalBody {
    static var absent: Self { nil }
}
