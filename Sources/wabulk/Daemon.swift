import Account
import Campaigns
import CloudAPI
import Contacts
import EventLog
import Foundation
import Intake
import Logging
import Reports
import Sending
import ServiceLifecycle
import Spool
import Templates
import WabulkBase
import WebhookListener

/// Wires the stages of `wabulk run` together: inbox watcher, dispatcher and webhook listener share
/// the spool and the event log and nothing else.
struct Daemon {
    let services: [any Service]

    init(
        home: HomeLayout,
        settings: Settings,
        credentials: Credentials,
        logger: Logger,
        requirePrivateHome: Bool = true,
        clock: WallClock = .system,
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws {
        try home.create()
        // Before anything else touches the spool or the log: a second daemon on this home stops here.
        _ = try HomeLock(home: home)
        if requirePrivateHome { try home.checkPrivate() }
        OutboxReadme.write(in: home.outbox)
        DaemonMetrics.bootstrap()
        let sending = try credentials.requireForSending()
        let registry = try ContactRegistry(path: home.contactsDatabase)
        let normalizer = try PhoneNormalizer(defaultCountry: settings.defaultCountry, allowsLetters: settings.allowVanityNumbers)
        let spool = Spool(directory: home.spool)
        let events = EventLogWriter(directory: home.log)
        let planner = CampaignPlanner(
            registry: registry,
            normalizer: normalizer,
            spool: spool,
            events: events,
            campaignsDirectory: home.campaigns,
            templatesFile: home.templatesFile,
            mediaDirectory: home.media,
            messagingLimit: { [home, settings] in settings.messagingLimit ?? AccountState.load(home)?.messagingLimit },
            logDirectory: home.log,
            batchSize: settings.planBatchSize,
            now: clock.now
        )
        // libphonenumber scales across processes, not threads: imports use one worker process per core.
        let workers = try? NormalizerWorkers(
            executable: SelfExecutable.url,
            defaultCountry: settings.defaultCountry,
            count: ProcessInfo.processInfo.activeProcessorCount
        )
        var importer = ContactImporter(registry: registry, normalizer: normalizer, workers: workers)
        importer.maxRows = settings.maxRowsPerFile
        let watcher = InboxWatcher(
            home: home,
            importer: importer,
            planner: planner,
            optOuts: OptOutRecorder(registry: registry, spoolDirectory: home.spool, events: events),
            control: CampaignControl(
                campaignsDirectory: home.campaigns,
                spoolDirectory: home.spool,
                events: events,
                eventsDirectory: home.log
            ),
            scanInterval: .milliseconds(Int(settings.inboxScanSeconds * 1000)),
            settleSeconds: settings.inboxSettleSeconds,
            logger: logger
        )
        let client = CloudAPIClient(
            baseURL: settings.apiBaseURL,
            version: settings.apiVersion,
            phoneNumberID: sending.phoneNumberID,
            token: sending.token,
            timeout: settings.requestTimeoutSeconds
        )
        // Its own connection with a short busy wait: while an import holds the registry's write lock, the
        // follower's write fails fast and is tried again on its next pass instead of holding a thread.
        let follower = WebhookFollower(
            home: home,
            registry: try ContactRegistry(path: home.contactsDatabase, busyTimeout: 0.5),
            events: events,
            liftHealthHolds: settings.liftHealthHolds,
            logger: logger
        )
        let recorder = OptOutRecorder(registry: registry, spoolDirectory: home.spool, events: events)
        let suppressions = SuppressionList(spoolDirectory: home.spool)
        let dispatcher = Dispatcher(
            spool: spool,
            spoolDirectory: home.spool,
            events: events,
            eventsDirectory: home.log,
            client: client,
            options: dispatchOptions(settings, home: home),
            logger: logger,
            now: clock.now,
            suppressions: suppressions,
            mediaDirectory: home.media,
            beforeSending: {
                // Opt-outs a crash left unapplied, then anything the registry has that the spool lacks.
                await follower.catchUp()
                do { try await recorder.reconcile() } catch { logger.error("suppressions: \(error)") }
            }
        )
        var listenerOptions = WebhookListener.Options(
            host: settings.listen.host,
            port: settings.listen.port,
            path: settings.webhookPath,
            appSecret: credentials.appSecret,
            verifyToken: credentials.verifyToken,
            insecure: settings.insecureWebhooks,
            headerTimeout: .milliseconds(Int(settings.listenerHeaderSeconds * 1000)),
            bodyTimeout: .milliseconds(Int(settings.listenerBodySeconds * 1000)),
            maxConnections: settings.listenerMaxConnections,
            optOutKeywords: settings.optOutKeywords,
            metrics: { [spool = home.spool] in DaemonMetrics.scrape(spool: spool) },
            onOptOut: { optOuts in
                for e in optOuts {
                    guard let phone = e.phone else { continue }
                    suppressions.mark(
                        Suppression(
                            phone: phone,
                            scope: e.errorCode == MessageEvent.marketingOptOutCode ? .marketing : .all,
                            source: e.preferenceSource
                        )
                    )
                }
            }
        )
        listenerOptions.arrivalsFile = WebhookArrivals.file(in: home)
        let listener = try WebhookListener(options: listenerOptions, events: events, logger: logger)
        var services: [any Service] = [
            listener.server(onRunning: onListening), watcher, dispatcher,
            follower,
            StatusFileService(home: home, settings: settings, interval: .milliseconds(Int(settings.statusSeconds * 1000)), logger: logger),
            CampaignScanService(
                recurring: RecurringCampaigns(planner: planner, spoolDirectory: home.spool, logger: logger),
                welcome: TriggerCampaigns(planner: planner, spoolDirectory: home.spool, logger: logger),
                winners: WinnerPicker(planner: planner, spoolDirectory: home.spool, logger: logger),
                interval: .milliseconds(Int(settings.campaignScanSeconds * 1000)),
                now: clock.now
            ),
            LogMaintenanceService(
                retention: RawBodyRetention(directory: home.log, days: settings.rawWebhookRetentionDays),
                compactor: LogCompactor(directory: home.log, days: settings.compressLogsAfterDays),
                logger: logger
            ),
        ]
        services.append(AccountRefreshService(home: home, client: client, events: events, logger: logger))
        if settings.templateRefreshSeconds > 0, credentials.businessAccountID != nil {
            let sync = try TemplateRefresher.sync(home: home, settings: settings, credentials: credentials)
            services.append(
                TemplateRefreshService(
                    sync: sync,
                    interval: .milliseconds(Int(settings.templateRefreshSeconds * 1000)),
                    logger: logger,
                    afterRefresh: { try? TemplateRefresher.writeWorkbook(home: home) }
                )
            )
        }
        let schedule = ReportSchedule(
            dailyAt: ReportSchedule.parseTime(settings.reportDailyAt),
            everyHours: settings.reportEveryHours,
            timeZone: TimeZone(identifier: settings.timezone) ?? .gmt
        )
        if !schedule.isEmpty {
            let mailing =
                settings.smtpURL.isEmpty || settings.reportRecipients.isEmpty
                ? nil
                : ScheduledReports.Mailing(
                    mailer: ReportMailer(
                        server: .init(
                            url: settings.smtpURL,
                            requireTLS: settings.smtpRequireTLS,
                            username: credentials.smtpUsername,
                            password: credentials.smtpPassword
                        ),
                        logger: logger
                    ),
                    from: settings.reportFrom,
                    to: settings.reportRecipients
                )
            services.append(
                ScheduledReports(
                    schedule: schedule,
                    home: home,
                    scope: { campaign, from, to in
                        ReportWriter.scope(home: home, settings: settings, campaign: campaign, from: from, to: to)
                    },
                    mailing: mailing,
                    logger: logger
                )
            )
        }
        self.services = services
    }
}

func dispatchOptions(_ settings: Settings, home: HomeLayout) -> Dispatcher.Options {
    var options = Dispatcher.Options(
        rate: settings.rate,
        retry: RetryPolicy(
            maxAttempts: settings.maxAttempts,
            baseDelay: .milliseconds(Int(settings.backoffBaseSeconds * 1000))
        ),
        concurrency: settings.sendConcurrency
    )
    options.reconcileWindow = .milliseconds(Int(settings.reconcileSeconds * 1000))
    options.resendUnsettled = settings.afterReconcile == "resend"
    // The operator's setting wins; else what the account learned from Meta (fields, webhooks).
    options.currentLimit = { [setting = settings.messagingLimit] in
        if let setting { return setting.people }
        return AccountState.load(home)?.messagingLimit?.people
    }
    return options
}
