/// A first-in first-out queue over an array: O(1) append and removal at the front (the space
/// before the front is given back once it is half the array). Iterates first to last.
struct ArrivalQueue<Element: Sendable & Equatable>: Sendable, Equatable {
    private var items: [Element] = []
    private var head = 0

    init() {}

    var count: Int { items.count - head }
    var isEmpty: Bool { head == items.count }
    var first: Element? { head < items.count ? items[head] : nil }

    /// The element `offset` places behind the front, if there is one.
    func element(at offset: Int) -> Element? {
        offset >= 0 && offset < count ? items[head + offset] : nil
    }

    mutating func append(_ element: Element) { items.append(element) }

    mutating func removeFirst() -> Element? {
        guard head < items.count else { return nil }
        let element = items[head]
        head += 1
        if head == items.count {
            items.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 1024 && head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        return element
    }

    /// The elements, first to last.
    var elements: ArraySlice<Element> { items[head...] }

    static func == (lhs: ArrivalQueue, rhs: ArrivalQueue) -> Bool { lhs.elements.elementsEqual(rhs.elements) }
}
