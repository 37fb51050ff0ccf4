import Foundation

/// Hands batches of rows from the thread that builds them to the thread that writes them, a few at a time,
/// so a report uses both cores: one folds messages into rows while the other runs libxlsxwriter.
final class RowHandoff<Result: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var batches: [XLSXRowBatch] = []
    private var result: Result?
    private let limit: Int

    init(limit: Int = 4) { self.limit = limit }

    /// Blocks while `limit` batches wait to be written.
    func put(_ batch: XLSXRowBatch) {
        condition.lock()
        while batches.count >= limit { condition.wait() }
        batches.append(batch)
        condition.broadcast()
        condition.unlock()
    }

    func finish(_ value: Result) {
        condition.lock()
        result = value
        condition.broadcast()
        condition.unlock()
    }

    /// The next batch, or the producer's result once every batch has been taken.
    func take() -> Either {
        condition.lock()
        defer { condition.unlock() }
        while batches.isEmpty && result == nil { condition.wait() }
        if !batches.isEmpty {
            let batch = batches.removeFirst()
            condition.broadcast()
            return .batch(batch)
        }
        return .done(result!)
    }

    enum Either {
        case batch(XLSXRowBatch)
        case done(Result)
    }
}
