import Foundation

/// Passes items from a thread that makes them to a thread that uses them, a few at a time, then the
/// maker's result: how a report or a fold of the log uses both cores (one parses or builds rows while
/// the other folds or writes). Blocking by design: both ends are threads of their own, never the
/// cooperative pool.
public final class Handoff<Item, Result>: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [Item] = []
    private var result: Result?
    private var closed = false
    private let limit: Int

    public init(limit: Int = 4) { self.limit = limit }

    /// Blocks while `limit` items wait to be taken. False once the user has closed the handoff: the maker
    /// should stop and `finish`.
    @discardableResult
    public func put(_ item: Item) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while items.count >= limit && !closed { condition.wait() }
        if closed { return false }
        items.append(item)
        condition.broadcast()
        return true
    }

    /// The user wants no more items (it failed): waiting items are dropped and every `put` returns false.
    public func close() {
        condition.lock()
        closed = true
        items.removeAll()
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
