import Foundation
import WabulkBase

/// `outbox/README.txt`, written by the daemon at start: the short version of docs/STAFF.md, where staff look.
/// Written by rename (never through whatever a staff member left under that name) and only when it differs.
public enum OutboxReadme {
    public static let text = """
        wabulk — what to drop into inbox/, and what comes back here
        =============================================================

        ADD PEOPLE: drop a .csv or .xlsx into inbox/ with a header row and a Phone column, e.g.
            Name,Phone,Tags
            Asha Rao,+91 98765 43210,"vip, delhi"
          Tags are labels campaigns pick people by. Dropping someone again updates them.

        SEND: drop a .json campaign file into inbox/, e.g.
            {"id": "diwali-2026", "template": {"name": "diwali_offer", "language": "en_US"},
             "audience": {"tags": ["vip"]}, "variables": {"body": ["{name|Customer}"]}}
          templates.xlsx (here) lists the templates you can use, each with its "variables" line.
          Nothing is sent if the file has a mistake: its receipt says what to fix.

        PAUSE / RESUME / STOP: drop a .json file with
            {"campaign": "diwali-2026", "action": "pause"}      ("resume", "cancel")
        REMOVE SOMEONE FROM EVERYTHING:
            {"action": "optout", "phones": ["+91 98765 43210"]}

        WHAT COMES BACK (this folder):
          receipts/   one <file>.receipt.json for every file you drop: "outcome" (accepted, partial,
                      rejected), "message" (what happened), "problems" (what to fix); rows that could not
                      be used are in <file>.errors.csv with the row number and why
          status.html open in a browser: every campaign's sent, delivered, read and failed, and warnings
          reports/    Excel reports: Summary, Messages (one row per person), Failures, Replies
          archive/    every file you dropped, kept
          rejected/   files that could not be read at all, each with a receipt saying why

        People who opted out are never messaged. The full guide: docs/STAFF.md (ask your operator).

        """

    /// Writes it unless it is already there, unchanged.
    public static func write(in outbox: URL) {
        let file = outbox.appendingPathComponent("README.txt")
        // Read only a regular file of the right size (not through a link, never a pipe that would block).
        let attributes = try? FileManager.default.attributesOfItem(atPath: file.path)
        if attributes?[.type] as? FileAttributeType == .typeRegular, (attributes?[.size] as? Int) == text.utf8.count,
            let current = try? Data(contentsOf: file), current == Data(text.utf8)
        {
            return
        }
        try? AtomicFile.write(Data(text.utf8), to: file, durable: false)
    }
}
