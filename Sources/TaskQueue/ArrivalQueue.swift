/// A first-in first-out queue: O(1) append and removal at the front, iterating first to last.
/// Kept in chunks (`ChunkedArray`), so the first change after a copy copies one chunk, not the
/// queue, and the space of removed elements is given back a chunk at a time.
struct ArrivalQueue<Element: Sendable & Equatable>: Sendable, Equatable {
    private var items = ChunkedArray<Element>()

    init() {}

    var count: Int { items.count }
    var isEmpty: Bool { items.isEmpty }
    var first: Element? { items.first }

    /// The element `offset` places behind the front, if there is one.
    func element(at offset: Int) -> Element? {
        offset >= 0 && offset < count ? items[offset] : nil
    }

    mutating func append(_ element: Element) { items.append(element) }

    mutating func removeFirst() -> Element? {
        guard let element = items.first else { return nil }
        items.removeFirst(1)
        return element
    }

    /// The elements, first to last.
    var elements: ChunkedArray<Element> { items }
}
