import Foundation

/// Passes items from a thread that makes them to a thread that uses them, a few at a time, then the
/// maker's result: how a report or a fold of the log uses both cores (one parses or builds rows while
/// the other folds or writes). Blocking by design: both ends are threads of their own, never the
/// cooperative pool.
public final class Handoff<Item, Result>: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [Item] = []
    private var result: Result?
    private let limit: Int

    public init(limit: Int = 4) { self.limit = limit }

    /// Blocks while `limit` items wait to be taken.
    public func put(_ item: Item) {
        condition.lock()
        while items.count >= limit { condition.wait() }
        items.append(item)
        condition.broadcast()
        condition.unlock()
    }

    public func finish(_ value: Result) {
        condition.lock()
        result = value
        condition.broadcast()
        condition.unlock()
    }

    public enum Next {
        case item(Item)
        case done(Result)
    }

    /// The next item, or the maker's result once every item has been taken.
    public func take() -> Next {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty && result == nil { condition.wait() }
        if !items.isEmpty {
            let item = items.removeFirst()
            condition.broadcast()
            return .item(item)
        }
        return .done(result!)
    }
}
