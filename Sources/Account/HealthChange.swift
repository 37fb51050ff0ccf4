/// What an account webhook means for sending. Quality trouble with the number (`phone_number_quality_update`
/// FLAGGED, a RED rating) stops marketing, the messages that hurt quality most; trouble with the account
/// (`account_update` ACCOUNT_VIOLATION, ACCOUNT_RESTRICTION, a disable, a deletion) stops everything, since
/// Meta would refuse or count against it whatever is sent. The matching good news lifts what the bad set.
public enum HealthChange: Sendable, Equatable {
    /// Hold marketing sends (utility and authentication go on).
    case holdMarketing(reason: String)
    /// Hold every send.
    case holdAll(reason: String)
    /// Meta says the number's quality recovered: the marketing hold it set may be lifted.
    case liftMarketing(reason: String)
    /// Meta says the account was reinstated: the whole-queue hold it set may be lifted.
    case liftAll(reason: String)
    /// Nothing for sending (a limit change, a partner added, a pricing tier).
    case none

    /// `field`: the webhook field; `event`: its `event`; `details`: what came with it, as the event log keeps it.
    public init(field: String, event: String?, details: String?) {
        let event = (event ?? "").uppercased()
        let said = details.map { " (\($0))" } ?? ""
        switch field {
        case "phone_number_quality_update":
            if event == "FLAGGED" || details?.contains("quality: RED") == true {
                self = .holdMarketing(
                    reason: "Meta flagged the number's quality (\(field) \(event))\(said): marketing sends are held; utility and authentication go on"
                )
            } else if event == "UNFLAGGED" {
                self = .liftMarketing(reason: "Meta lifted the quality flag (\(field) \(event))")
            } else {
                self = .none
            }
        case "account_update":
            switch event {
            case "ACCOUNT_VIOLATION", "ACCOUNT_RESTRICTION", "ACCOUNT_DELETED":
                self = .holdAll(reason: "Meta reported \(event) on the business account\(said): all sending is held")
            case "DISABLED_UPDATE":
                if details?.contains("ban state: REINSTATE") == true {
                    self = .liftAll(reason: "Meta reinstated the business account (\(event))")
                } else {
                    self = .holdAll(reason: "Meta reported \(event) on the business account\(said): all sending is held")
                }
            default:
                self = .none
            }
        default:
            self = .none
        }
    }
}
