import DequeModule
import Foundation
import GRDB
import WabulkBase

/// The queue of messages to send: one row per job in `var/spool/jobs.sqlite` (WAL), in the manner of
/// Postfix's queue states: `ready` waits to be sent, `active` is in flight (a request may have left),
/// `deferred` waits for a retry time, `failed` is kept for `retry-failed`. A state change is one small
/// transaction, so a crash leaves every job in exactly one state, and a whole campaign is spooled in one
/// transaction: all of it or none of it.
///
/// Measured: one file per job (write, syncfs, rename) spooled 100,000 jobs in about a minute here, almost
/// all of it in the file system's directory code; rows take about a second.
public actor Spool {
    public enum State: String, CaseIterable, Sendable { case ready, active, deferred, failed }

    public let directory: URL
    private(set) var database: DatabasePool?
    private var waiting: [String: CampaignQueue] = [:]
    private var campaignOrder: [String] = []
    private var nextCampaign = 0
    private var loaded = false
    private var lastMarker: ChangeMarker.Stamp?

    public init(directory: URL) {
        self.directory = directory
    }

    public static func databaseFile(in directory: URL) -> URL { directory.appendingPathComponent("jobs.sqlite") }

    /// Opens (and creates) the spool database; used by the actor and by other processes' tools.
    public static func openDatabase(in directory: URL) throws -> DatabasePool {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // A new spool gets 16 KiB pages: spooling a million jobs took a sixth less than with 4 KiB (SQLite
        // keeps the page size a file was made with, so older spools stay as they are). At a daemon's start
        // several services open the new file at once, so it is made under a lock beside it, whole (page size
        // and WAL mode set) under another name, and renamed into place: an opener sees no file or a made one.
        let file = databaseFile(in: directory)
        if !FileManager.default.fileExists(atPath: file.path) {
            try FileLock.withExclusive(directory.appendingPathComponent(".create.lock")) {
                guard !FileManager.default.fileExists(atPath: file.path) else { return }
                let fresh = directory.appendingPathComponent("jobs.sqlite.new")
                // A crash's half-made file goes first.
                for suffix in ["", "-wal", "-shm"] { unlink(fresh.path + suffix) }
                let queue = try DatabaseQueue(path: fresh.path)
                try queue.writeWithoutTransaction { db in
                    try db.execute(sql: "PRAGMA page_size = 16384")
                    try db.execute(sql: "PRAGMA journal_mode = WAL")
                }
                try queue.close()
                guard rename(fresh.path, file.path) == 0 else { throw FileError.cannotWrite(path: file.path, errno: errno) }
            }
        }
        var config = Configuration()
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in
            // A process crash loses nothing in WAL mode with NORMAL; see docs/RELIABILITY.md for power loss.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        let pool = try DatabasePool(path: databaseFile(in: directory).path, configuration: config)
        var migrated = false
        try pool.write { db in
            try db.execute(
                sql: """
                    CREATE TABLE IF NOT EXISTS jobs (
                        id TEXT PRIMARY KEY NOT NULL,
                        campaign TEXT NOT NULL,
                        state TEXT NOT NULL,
                        not_before REAL,
                        updated_at REAL NOT NULL,
                        phone TEXT NOT NULL,
                        name TEXT NOT NULL,
                        template TEXT NOT NULL,
                        language TEXT NOT NULL,
                        header TEXT NOT NULL,
                        body TEXT NOT NULL,
                        buttons TEXT NOT NULL,
                        attempt INTEGER NOT NULL,
                        campaign_rate TEXT,
                        window TEXT,
                        category TEXT
                    ) WITHOUT ROWID;
                    CREATE TABLE IF NOT EXISTS suppressions (
                        phone TEXT PRIMARY KEY NOT NULL,
                        scope TEXT NOT NULL,
                        source TEXT NOT NULL,
                        since TEXT NOT NULL,
                        seq INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    CREATE INDEX IF NOT EXISTS suppressions_by_seq ON suppressions (seq);
                    """
            )
            // Spools made before templates' categories were kept: their jobs count as marketing.
            if try !db.columns(in: "jobs").contains(where: { $0.name == "category" }) {
                try db.execute(sql: "ALTER TABLE jobs ADD COLUMN category TEXT")
            }
            // Why a deferred job waits, when a later change may release it early (the messaging limit rising).
            if try !db.columns(in: "jobs").contains(where: { $0.name == "waiting_for" }) {
                try db.execute(sql: "ALTER TABLE jobs ADD COLUMN waiting_for TEXT")
            }
            // Jobs out of line (deferred, in flight, failed) by state. Ready jobs, nearly all of a big campaign,
            // are read through the primary key (`<campaign>.<sequence>` keeps a campaign's jobs together in
            // planning order): an index entry each cost a fifth of spooling a million jobs. Queries that use
            // it say `state != 'ready'` in so many words, as SQLite needs to see to choose a partial index.
            try db.execute(sql: "DROP INDEX IF EXISTS jobs_by_state")
            try db.execute(sql: "CREATE INDEX IF NOT EXISTS jobs_out_of_line ON jobs (state, campaign, id) WHERE state != 'ready'")
            // An opt-out drops a number's waiting jobs in the same transaction that records it.
            try db.execute(sql: "CREATE INDEX IF NOT EXISTS jobs_by_phone ON jobs (phone, state)")
            try createPlansTable(db)
            // Holds (SpoolControl): the whole queue under "*", campaigns by id.
            try db.execute(
                sql: """
                    CREATE TABLE IF NOT EXISTS holds (
                        target TEXT PRIMARY KEY NOT NULL,
                        reason TEXT NOT NULL,
                        error_code INTEGER,
                        since TEXT NOT NULL,
                        cause TEXT NOT NULL
                    ) WITHOUT ROWID
                    """
            )
            migrated = try SpoolControl.migrateLegacyFile(in: directory, db)
        }
        if migrated {
            let file = SpoolControl.legacyFile(in: directory)
            _ = rename(file.path, file.path + ".migrated")
            try SpoolControl.marker(in: directory).announce()
        }
        return pool
    }

    func db() throws -> DatabasePool {
        if let database { return database }
        let opened = try Self.openDatabase(in: directory)
        database = opened
        return opened
    }

    /// Adds jobs in one transaction. A job whose id is already spooled (in any state) is left alone,
    /// so planning again after a crash is harmless.
    public func enqueue(_ jobs: [SpoolJob]) throws {
        try load()
        let stamp = Date()
        // A campaign's jobs share one window: encoded once, not once a job.
        var windows: [SendWindowSchedule: String] = [:]
        func column(_ window: SendWindowSchedule) -> String {
            if let encoded = windows[window] { return encoded }
            let encoded = SpoolRow.encodeWindow(window)
            windows[window] = encoded
            return encoded
        }
        let rows = jobs.map { SpoolRow($0, window: $0.window.map(column), at: stamp) }
        let added = try db().write { db in try insert(rows, db) }
        for (campaign, entry) in added { index(entry, campaign: campaign, deferred: false) }
    }

    /// Inserts the jobs not yet spooled (by id); returns those it added.
    func insert(_ rows: [SpoolRow], _ db: Database) throws -> [(campaign: String, entry: Entry)] {
        let insert = try db.cachedStatement(
            sql: """
                INSERT OR IGNORE INTO jobs (id, campaign, not_before, phone, name, template, language, header, body,
                                            buttons, attempt, campaign_rate, window, category, state, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'ready', ?)
                """
        )
        var added: [(campaign: String, entry: Entry)] = []
        added.reserveCapacity(rows.count)
        // Bound through SQLite's C API: GRDB's argument arrays box every value, which was a third of
        // spooling a million jobs.
        let statement = RawInsert(insert)
        for row in rows {
            try statement.run(row.values, db)
            if db.changesCount > 0 { added.append((row.campaign, Entry(id: row.id, notBefore: row.notBefore))) }
        }
        return added
    }

    /// Takes the next job that may go now, fairly across campaigns, and marks it in flight.
    public func claimNext(now: Date, excluding blocked: Set<String> = []) throws -> SpoolJob? {
        try load()
        try refreshIfChanged()
        guard !campaignOrder.isEmpty else { return nil }
        for step in 0..<campaignOrder.count {
            let position = (nextCampaign + step) % campaignOrder.count
            let campaign = campaignOrder[position]
            guard !blocked.contains(campaign), waiting[campaign] != nil else { continue }
            var claimed: SpoolJob?
            // The queue is changed in place in the dictionary: a copy taken out shared the deque's storage,
            // so every claim copied the whole campaign's line (20,000 entries, a retain each).
            while true {
                if waiting[campaign]?.ready.isEmpty == true, waiting[campaign]?.moreReady == true { try readReady(campaign) }
                guard let entry = waiting[campaign]?.takeDue(now: now) else { break }
                do {
                    // Another process may have cancelled it meanwhile: then it is simply gone.
                    if let job = try take(entry.id) {
                        claimed = job
                        break
                    }
                } catch {
                    waiting[campaign]?.deferred.append(entry)
                    throw error
                }
            }
            guard let job = claimed else { continue }
            if waiting[campaign]?.isEmpty ?? true {
                waiting[campaign] = nil
                campaignOrder.remove(at: position)
                nextCampaign = campaignOrder.isEmpty ? 0 : position % campaignOrder.count
            } else {
                nextCampaign = (position + 1) % campaignOrder.count
            }
            return job
        }
        return nil
    }

    private func take(_ id: String) throws -> SpoolJob? {
        try db().write { db in
            try db.execute(
                sql: "UPDATE jobs SET state = 'active', updated_at = ? WHERE id = ? AND state IN ('ready', 'deferred')",
                arguments: [Date().timeIntervalSince1970, id]
            )
            guard db.changesCount == 1 else { return nil }
            return try Row.fetchOne(db, sql: "SELECT * FROM jobs WHERE id = ?", arguments: [id]).map(Self.job(from:))
        }
    }

    /// The job reached a final state: it leaves the spool.
    public func complete(_ job: SpoolJob) throws {
        try db().write { db in try db.execute(sql: "DELETE FROM jobs WHERE id = ?", arguments: [job.id]) }
    }

    /// The job failed for good: kept as `failed` (not in line) so `wabulk campaign retry-failed` can send it again.
    public func fail(_ job: SpoolJob) throws {
        try setState(job, .failed)
    }

    /// The job waits for another attempt at `notBefore`.
    /// `waitingFor`: what the job waits for, when something other than its time may release it early
    /// (`messagingLimitCause`); kept until the job changes state again.
    public func requeue(_ job: SpoolJob, waitingFor: String? = nil) throws {
        try setState(job, .deferred, waitingFor: waitingFor)
        index(Entry(id: job.id, notBefore: job.notBefore), campaign: job.campaign, deferred: true)
    }

    /// The `waitingFor` of jobs held back for Meta's messaging limit.
    public static let messagingLimitCause = "messaging limit"

    /// The jobs deferred with this `waitingFor`.
    public func waiting(for cause: String) throws -> [String] {
        try db().read { db in
            try String.fetchAll(
                db,
                sql: "SELECT id FROM jobs WHERE state != 'ready' AND state = 'deferred' AND waiting_for = ? ORDER BY id",
                arguments: [cause]
            )
        }
    }

    /// Makes these waiting jobs due now (the messaging limit was raised: the jobs it held back may go);
    /// returns how many were still waiting.
    @discardableResult
    public func makeDue(_ ids: [String], now: Date) throws -> Int {
        guard !ids.isEmpty else { return 0 }
        try load()
        let changed = try db().write { db -> Int in
            var changed = 0
            for id in ids {
                try db.execute(
                    sql: "UPDATE jobs SET not_before = ?, updated_at = ?, waiting_for = NULL WHERE id = ? AND state = 'deferred'",
                    arguments: [now.timeIntervalSince1970, now.timeIntervalSince1970, id]
                )
                changed += db.changesCount
            }
            return changed
        }
        waiting = [:]
        campaignOrder = []
        nextCampaign = 0
        try readIndex()
        return changed
    }

    /// Puts an in-flight job back in line (it never left, or the operator chose to resend).
    public func release(_ job: SpoolJob) throws {
        try setState(job, .ready)
        index(Entry(id: job.id, notBefore: job.notBefore), campaign: job.campaign, deferred: true)
    }

    private func setState(_ job: SpoolJob, _ state: State, waitingFor: String? = nil) throws {
        try db().write { db in
            try db.execute(
                sql: "UPDATE jobs SET state = ?, attempt = ?, not_before = ?, updated_at = ?, waiting_for = ? WHERE id = ?",
                arguments: [state.rawValue, job.attempt, job.notBefore?.timeIntervalSince1970, Date().timeIntervalSince1970, waitingFor, job.id]
            )
        }
    }

    /// Jobs found in flight at start-up: their request may or may not have reached Meta.
    public func inFlightAtStartup() throws -> [SpoolJob] {
        try db().read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM jobs WHERE state != 'ready' AND state = 'active' ORDER BY id").map(Self.job(from:))
        }
    }

    public struct Depth: Sendable, Codable, Equatable {
        public var ready = 0
        public var deferred = 0
        public var active = 0
        public var failed = 0
        /// Waiting or in flight (failed jobs are out of line).
        public var total: Int { ready + deferred + active }

        public init(ready: Int = 0, deferred: Int = 0, active: Int = 0, failed: Int = 0) {
            self.ready = ready
            self.deferred = deferred
            self.active = active
            self.failed = failed
        }
    }

    private func refreshIfChanged() throws {
        // A new inode every time: two changes within one clock tick are not taken for one.
        guard let stamp = ChangeMarker(file: Self.markerFile(in: directory)).stamp(), stamp != lastMarker else { return }
        lastMarker = stamp
        waiting = [:]
        campaignOrder = []
        nextCampaign = 0
        try readIndex()
    }

    func load() throws {
        guard !loaded else { return }
        loaded = true
        lastMarker = ChangeMarker(file: Self.markerFile(in: directory)).stamp()
        try readIndex()
    }

    private func readIndex() throws {
        let (deferred, campaigns) = try db().read { db in
            (
                try Row.fetchAll(db, sql: "SELECT id, campaign, not_before FROM jobs WHERE state != 'ready' AND state = 'deferred' ORDER BY id"),
                try Self.campaignsWithReadyJobs(db)
            )
        }
        for row in deferred {
            let notBefore = (row["not_before"] as Double?).map { Date(timeIntervalSince1970: $0) }
            index(Entry(id: row["id"], notBefore: notBefore), campaign: row["campaign"], deferred: true)
        }
        for campaign in campaigns {
            if waiting[campaign] == nil {
                waiting[campaign] = CampaignQueue()
                campaignOrder.append(campaign)
            }
            waiting[campaign]!.moreReady = true
            try readReady(campaign)
        }
    }

    /// The primary-key range that holds a campaign's jobs: ids are `<campaign>.<sequence>`, and campaign ids
    /// have no dots, so they lie after `<campaign>.` and before `<campaign>/`.
    static func idRange(_ campaign: String) -> (after: String, before: String) { (campaign + ".", campaign + "/") }

    /// Campaigns with ready jobs, one primary-key step per campaign instead of a pass over every job.
    static func campaignsWithReadyJobs(_ db: Database) throws -> [String] {
        var campaigns: [String] = []
        var after = ""
        while let row = try Row.fetchOne(db, sql: "SELECT id, campaign FROM jobs WHERE id > ? ORDER BY id LIMIT 1", arguments: [after]) {
            let campaign: String = row["campaign"]
            let (first, end) = idRange(campaign)
            if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM jobs WHERE id > ? AND id < ? AND state = 'ready')", arguments: [first, end])
                == true
            {
                campaigns.append(campaign)
            }
            // Past the campaign's range, and at least past the row found, so the walk always moves on.
            after = max(end, row["id"])
        }
        return campaigns
    }

    /// The next window of a campaign's ready jobs, in planning order.
    private func readReady(_ campaign: String) throws {
        let (first, end) = Self.idRange(campaign)
        let after = max(waiting[campaign]?.lastReady ?? first, first)
        let rows = try db().read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT id, not_before FROM jobs WHERE id > ? AND id < ? AND state = 'ready' AND campaign = ? ORDER BY id LIMIT ?",
                arguments: [after, end, campaign, CampaignQueue.window]
            )
        }
        // Taken out and put back: a copy left in the dictionary would share, and so copy, the deque.
        guard var queue = waiting.removeValue(forKey: campaign) else { return }
        for row in rows {
            queue.ready.append(Entry(id: row["id"], notBefore: (row["not_before"] as Double?).map { Date(timeIntervalSince1970: $0) }))
        }
        queue.lastReady = queue.ready.last?.id ?? queue.lastReady
        queue.moreReady = rows.count == CampaignQueue.window
        waiting[campaign] = queue
    }

    func index(_ entry: Entry, campaign: String, deferred: Bool) {
        if waiting[campaign] == nil {
            waiting[campaign] = CampaignQueue()
            if !campaignOrder.contains(campaign) { campaignOrder.append(campaign) }
        }
        if deferred {
            waiting[campaign]!.deferred.append(entry)
        } else {
            waiting[campaign]!.addReady(entry)
        }
    }
}
