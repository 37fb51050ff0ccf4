import ArgumentParser
import Spool
import WabulkBase

struct ResumeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Resume sending after a pause (an expired token, a stopped campaign, Meta's hold on the account) once the cause is fixed."
    )

    @OptionGroup var homeOptions: HomeOptions
    @Option(help: "Resume only this campaign.")
    var campaign: String?

    func run() throws {
        let home = HomeLayout.resolve(option: homeOptions.home)
        var cleared = false
        try SpoolControl.update(spool: home.spool) { control in
            if let campaign {
                cleared = control.campaignHolds.removeValue(forKey: campaign) != nil
            } else {
                cleared = control.queueHold != nil || control.marketingHold != nil
                control.queueHold = nil
                control.marketingHold = nil
            }
        }
        print(cleared ? "resumed" : "nothing was paused")
    }
}
