import Foundation

/// A zone's offset from UTC, asked once per quarter hour (zone transitions fall on quarter hours) rather
/// than for every date cell: a million rows asked it three million times.
struct ZoneOffsets {
    let zone: TimeZone
    private var byQuarter: [Int: Int] = [:]

    init(_ zone: TimeZone) { self.zone = zone }

    mutating func offset(at unix: Int) -> Int {
        let quarter = unix >= 0 ? unix / 900 : (unix - 899) / 900
        if let known = byQuarter[quarter] { return known }
        let offset = zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(quarter * 900)))
        byQuarter[quarter] = offset
        return offset
    }
}

extension Date {
    /// Excel dates have no zone: shift so the serial shows local wall-clock time.
    func shifted(to zone: TimeZone) -> Date { addingTimeInterval(TimeInterval(zone.secondsFromGMT(for: self))) }
}
