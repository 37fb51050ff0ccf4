import ArgumentParser
import WabulkBase

@main
struct Wabulk: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wabulk",
        abstract: "Send WhatsApp template messages in bulk through Meta's Cloud API, driven by files.",
        discussion: """
            Staff drop contact spreadsheets and campaign manifests into inbox/; receipts and Excel reports \
            come back in outbox/. Secrets come from the environment (WHATSAPP_TOKEN, WHATSAPP_PHONE_NUMBER_ID, \
            WHATSAPP_BUSINESS_ACCOUNT_ID, WHATSAPP_APP_SECRET, WEBHOOK_VERIFY_TOKEN); settings from wabulk.json \
            in the home folder or the environment (docs/CONFIGURATION.md).
            """,
        version: "wabulk \(wabulkVersion) (commit \(buildCommit))",
        subcommands: [
            RunCommand.self, StatusCommand.self, ReportCommand.self, ResumeCommand.self, ContactsCommand.self, CampaignCommand.self,
            TemplatesCommand.self, LogsCommand.self, CompactCommand.self, ShareLinkCommand.self, DoctorCommand.self, ConfigCommand.self,
            NormalizeWorkerCommand.self,
            SandboxCommand.self, DemoCommand.self,
        ]
    )
}

/// The release; `buildCommit` is written at build time by the BuildCommit plugin.
let wabulkVersion = "0.14.0"

/// `--home DIR` on every command.
struct HomeOptions: ParsableArguments {
    @Option(name: .long, help: "Home folder (else $WABULK_HOME, else the current directory).")
    var home: String?

    /// The home, its settings, and the shared folders where the settings put them.
    func layout() throws -> (HomeLayout, Settings) {
        let home = HomeLayout.resolve(option: self.home)
        let settings = try Settings.load(file: home.configurationFile)
        return (home.sharing(inbox: settings.inboxDir, outbox: settings.outboxDir), settings)
    }
}
