/// One operation as a model sees it: its interval, and what went in and came out.
public struct ModelOperation<Input, Output> {
    /// Where the operation stands in the checked history.
    public var index: Int
    public var call: Int64
    /// By when it must have taken effect; nil when it may take effect any time after its call, or never.
    public var ret: Int64?
    public var input: Input
    public var output: Output

    public init(index: Int, call: Int64, ret: Int64?, input: Input, output: Output) {
        self.index = index
        self.call = call
        self.ret = ret
        self.input = input
        self.output = output
    }
}

extension ModelOperation: Sendable where Input: Sendable, Output: Sendable {}
