/// Presents canvases into memory: what tests read back and what `flotilla bench console`
/// times. It diffs each frame against the last, as a terminal backend does.
public final class MemoryBackend {
    public let width: Int
    public let height: Int
    public private(set) var screen: Canvas
    /// Cells written by the last `present`.
    public private(set) var lastChanged = 0
    public private(set) var frames = 0

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
        screen = Canvas(width: width, height: height)
    }

    public func present(_ canvas: Canvas) {
        let changed = canvas.diff(from: screen)
        lastChanged = changed.count
        screen = canvas
        frames += 1
    }

    /// The screen's text, a line a row.
    public var lines: [String] { screen.lines }
}
