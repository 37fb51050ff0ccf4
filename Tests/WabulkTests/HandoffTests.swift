import Foundation
import Testing
import WabulkBase

@Suite struct HandoffTests {
    /// A user that fails closes the handoff: the maker's next `put` says stop, its `finish` still arrives.
    @Test func closingStopsTheMakerAndStillDeliversItsResult() async throws {
        let handoff = Handoff<Int, String>(limit: 2)
        let made = LockedCounter()
        let maker = Thread {
            var n = 0
            while n < 1_000, handoff.put(n) {
                n += 1
                made.set(n)
            }
            handoff.finish("stopped after \(n)")
        }
        maker.start()
        var taken: [Int] = []
        for _ in 0..<3 { if case .item(let n) = handoff.take() { taken.append(n) } }
        handoff.close()
        var result = ""
        loop: while true {
            switch handoff.take() {
            case .item: Issue.record("no item after close")
            case .done(let r):
                result = r
                break loop
            }
        }
        #expect(taken == [0, 1, 2])
        // At most two waited beside the three taken, plus one blocked put when the close came.
        #expect(made.value <= 6)
        #expect(result == "stopped after \(made.value)")
    }
}

final class LockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    var value: Int { lock.withLock { n } }
    func set(_ v: Int) { lock.withLock { n = v } }
}
