import Foundation

/// The jobs of one id prefix (a campaign): slot numbers + 1 by sequence number, 0 for none.
struct JobGroup {
    let name: String
    let nameBytes: [UInt8]
    var numbered: [UInt32] = []
    var skips: [UInt32] = []

    init(name: String) {
        self.name = name
        nameBytes = Array(name.utf8)
    }

    func slot(_ n: Int, skip: Bool) -> Int? {
        let list = skip ? skips : numbered
        guard n < list.count, list[n] != 0 else { return nil }
        return Int(list[n] - 1)
    }

    mutating func set(_ n: Int, skip: Bool, slot: Int) {
        if skip {
            if n >= skips.count { skips += [UInt32](repeating: 0, count: n + 1 - skips.count) }
            skips[n] = UInt32(slot + 1)
        } else {
            if n >= numbered.count { numbered += [UInt32](repeating: 0, count: max(n + 1 - numbered.count, numbered.count / 2)) }
            numbered[n] = UInt32(slot + 1)
        }
    }
}
