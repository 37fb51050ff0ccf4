import Foundation
import WabulkBase

/// How Meta's messaging limit bears on a campaign about to be spooled: the people it would add to the moving
/// 24-hour window against the room left (the limit, less the people messaged in the last 24 hours and those
/// other campaigns are waiting to reach). A campaign that needs more is accepted and waits as the window
/// frees, or is refused when its manifest says `"onLimit": "refuse"`.
public struct LimitForecast: Sendable, Equatable {
    public var limit: Int
    /// People messaged in the last 24 hours.
    public var used: Int
    /// People outside the window that other campaigns' waiting messages will reach first.
    public var ahead: Int
    /// People this campaign adds to the window.
    public var newPeople: Int

    public var room: Int { max(0, limit - used - ahead) }
    public var fits: Bool { newPeople <= room }

    /// About when its last message can go: the people other campaigns wait to reach go first, then these; what
    /// does not fit in the room left now goes as later windows let `limit` more people in, one window a day.
    public func lastSendAbout(startingAt start: Date) -> Date {
        guard !fits else { return start }
        let over = ahead + newPeople - max(0, limit - used)
        let days = (over + limit - 1) / limit
        return start.addingTimeInterval(Double(days) * 86_400)
    }

    /// For the receipt: what the limit leaves, and when the campaign will finish at it.
    public func explanation(startingAt start: Date) -> String {
        let waiting = ahead > 0 ? ", \(ahead) more waiting in other campaigns" : ""
        return
            "messaging limit: this campaign reaches \(newPeople) people not messaged in the last 24 hours, and \(room) of the limit of \(limit) are left (\(used) used\(waiting)); "
            + "at this limit its last messages go about \(Timestamp.format(lastSendAbout(startingAt: start))), the rest waiting as the window frees"
    }
}
