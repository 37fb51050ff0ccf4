import CFileSync
import DequeModule
import Foundation
import WabulkBase
#if canImport(Glibc)
import Glibc
#endif

/// The queue of messages to send, one file per job, in the manner of Postfix's queue:
/// `ready/` waits to be sent, `active/` is in flight (a request may have left), `deferred/` waits for a
/// retry time. Moving a job between states is a rename, so a crash leaves every job in exactly one place.
public actor Spool {
    public enum State: String, CaseIterable, Sendable { case ready, active, deferred }

    /// Failed jobs are kept here (not in the queue) so `wabulk campaign retry-failed` can send them again.
    public static func failedFolder(in directory: URL) -> URL { directory.appendingPathComponent("failed", isDirectory: true) }

    public let directory: URL
    /// Waiting jobs of one campaign: ready ones in planning order, deferred ones (few) by due time.
    private struct CampaignQueue {
        var ready = Deque<SpoolJob>()
        var deferred: [SpoolJob] = []
        var isEmpty: Bool { ready.isEmpty && deferred.isEmpty }
        var all: [SpoolJob] { Array(ready) + deferred }

        mutating func takeDue(now: Date) -> (SpoolJob, State)? {
            if let i = deferred.indices.min(by: { deferred[$0].notBefore ?? .distantPast < deferred[$1].notBefore ?? .distantPast }),
               (deferred[i].notBefore ?? .distantPast) <= now {
                return (deferred.remove(at: i), .deferred)
            }
            if let first = ready.first, (first.notBefore ?? .distantPast) <= now {
                return (ready.removeFirst(), .ready)
            }
            return nil
        }
    }
    private var waiting: [String: CampaignQueue] = [:]
    private var campaignOrder: [String] = []
    private var nextCampaign = 0
    private var activeCount = 0
    private var loaded = false
    private let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        e.dateEncodingStrategy = .iso8601
        return e
    }()
    private let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .iso8601
        return d
    }()

    public init(directory: URL) {
        self.directory = directory
    }

    private func folder(_ state: State) -> URL { directory.appendingPathComponent(state.rawValue, isDirectory: true) }
    private func file(_ id: String, _ state: State) -> URL { folder(state).appendingPathComponent("\(id).json") }

    /// Adds jobs durably: all files are written, flushed with one syncfs, then renamed into ready/.
    /// A job whose id is already spooled anywhere is left alone, so re-planning after a crash is harmless.
    public func enqueue(_ jobs: [SpoolJob]) throws {
        try load()
        let staging = directory.appendingPathComponent("incoming", isDirectory: true)
        try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true)
        var staged: [(SpoolJob, URL)] = []
        for job in jobs where !State.allCases.contains(where: { FileManager.default.fileExists(atPath: file(job.id, $0).path) }) {
            let temp = staging.appendingPathComponent("\(job.id).json")
            try encoder.encode(job).write(to: temp)
            staged.append((job, temp))
        }
        guard !staged.isEmpty else { return }
        let fd = open(staging.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 { cfilesync_syncfs(fd); close(fd) }
        for (job, temp) in staged {
            guard rename(temp.path, file(job.id, .ready).path) == 0 else {
                throw FileError.cannotMove(from: temp.path, to: file(job.id, .ready).path, errno: errno)
            }
            index(job)
        }
        AtomicFile.syncDirectory(folder(.ready))
    }

    /// Takes the next job that may go now, fairly across campaigns, and marks it in flight.
    public func claimNext(now: Date, excluding blocked: Set<String> = []) throws -> SpoolJob? {
        try load()
        try refreshIfChanged()
        guard !campaignOrder.isEmpty else { return nil }
        for step in 0..<campaignOrder.count {
            let position = (nextCampaign + step) % campaignOrder.count
            let campaign = campaignOrder[position]
            guard !blocked.contains(campaign), var queue = waiting[campaign] else { continue }
            var claimed: SpoolJob?
            while let (job, from) = queue.takeDue(now: now) {
                if rename(file(job.id, from).path, file(job.id, .active).path) == 0 { claimed = job; break }
                // Gone: another process cancelled it (or it was claimed elsewhere). Forget it and go on.
                guard errno == ENOENT else {
                    throw FileError.cannotMove(from: file(job.id, from).path, to: file(job.id, .active).path, errno: errno)
                }
            }
            guard let job = claimed else {
                // Nothing due here (an empty queue is dropped on a later successful claim elsewhere).
                waiting[campaign] = queue
                continue
            }
            if queue.isEmpty {
                waiting[campaign] = nil
                campaignOrder.remove(at: position)
                nextCampaign = campaignOrder.isEmpty ? 0 : position % campaignOrder.count
            } else {
                waiting[campaign] = queue
                nextCampaign = (position + 1) % campaignOrder.count
            }
            activeCount += 1
            return job
        }
        return nil
    }

    /// Jobs added by another process (e.g. `wabulk campaign retry-failed`) are announced by touching
    /// this marker; the daemon's spool rescans its folders when the marker changes.
    public static func markerFile(in directory: URL) -> URL { directory.appendingPathComponent("changed") }

    public static func announceChange(in directory: URL) {
        try? AtomicFile.write(Data(Timestamp.format(Date()).utf8), to: markerFile(in: directory), durable: false)
    }

    private var lastMarker: Date?

    private func refreshIfChanged() throws {
        let attributes = try? FileManager.default.attributesOfItem(atPath: Self.markerFile(in: directory).path)
        guard let mtime = attributes?[.modificationDate] as? Date, mtime != lastMarker else { return }
        lastMarker = mtime
        var known = Set(waiting.values.flatMap { $0.all.map(\.id) })
        for job in try readJobs(.ready) where known.insert(job.id).inserted { index(job) }
        for job in try readJobs(.deferred) where known.insert(job.id).inserted { index(job, deferred: true) }
    }

    /// The job reached a final state: it leaves the spool.
    public func complete(_ job: SpoolJob) throws {
        if unlink(file(job.id, .active).path) == 0 { activeCount -= 1 }
    }

    /// The job failed for good: it leaves the queue, kept in failed/ for a later retry-failed.
    public func fail(_ job: SpoolJob) throws {
        let folder = Self.failedFolder(in: directory)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        if rename(file(job.id, .active).path, folder.appendingPathComponent("\(job.id).json").path) == 0 { activeCount -= 1 }
    }

    /// The job waits for another attempt at `notBefore`.
    public func requeue(_ job: SpoolJob) throws {
        try AtomicFile.write(try encoder.encode(job), to: file(job.id, .deferred), durable: false)
        unlink(file(job.id, .active).path)
        AtomicFile.syncDirectory(folder(.deferred))
        activeCount -= 1
        index(job, deferred: true)
    }

    /// Jobs found in active/ at start-up: their request may or may not have reached Meta.
    public func inFlightAtStartup() throws -> [SpoolJob] {
        try readJobs(.active)
    }

    /// Puts a job found in flight at start-up back in line (it was never sent, or the operator chose to resend).
    public func release(_ job: SpoolJob) throws {
        guard rename(file(job.id, .active).path, file(job.id, .ready).path) == 0 else { return }
        index(job)
    }

    /// Drops the waiting jobs of a campaign (cancel); returns them so each can be logged.
    public func removeWaiting(campaign: String) throws -> [SpoolJob] {
        try load()
        let jobs = waiting[campaign]?.all ?? []
        for job in jobs {
            unlink(file(job.id, .ready).path)
            unlink(file(job.id, .deferred).path)
        }
        waiting[campaign] = nil
        if let i = campaignOrder.firstIndex(of: campaign) {
            campaignOrder.remove(at: i)
            nextCampaign = campaignOrder.isEmpty ? 0 : nextCampaign % campaignOrder.count
        }
        return jobs
    }

    public struct Depth: Sendable, Codable, Equatable {
        public var ready = 0
        public var deferred = 0
        public var active = 0
        public var total: Int { ready + deferred + active }
    }

    /// Counts straight from the folders, so another process (`wabulk status`) sees the truth.
    public func depth(campaign: String? = nil) -> Depth {
        var d = Depth()
        for state in State.allCases {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder(state).path)) ?? []
            let n = names.filter { $0.hasSuffix(".json") && (campaign == nil || $0.hasPrefix(campaign! + ".")) }.count
            switch state {
            case .ready: d.ready = n
            case .deferred: d.deferred = n
            case .active: d.active = n
            }
        }
        return d
    }

    /// The earliest time a waiting job may go, or nil when nothing waits.
    public func nextDue() -> Date? {
        waiting.values.flatMap(\.all).map { $0.notBefore ?? .distantPast }.min()
    }

    private func readJobs(_ state: State) throws -> [SpoolJob] {
        try FileManager.default.createDirectory(at: folder(state), withIntermediateDirectories: true)
        let names = try FileManager.default.contentsOfDirectory(atPath: folder(state).path).filter { $0.hasSuffix(".json") }.sorted()
        return names.compactMap { name in
            (try? Data(contentsOf: folder(state).appendingPathComponent(name))).flatMap { try? decoder.decode(SpoolJob.self, from: $0) }
        }
    }

    private func load() throws {
        guard !loaded else { return }
        loaded = true
        for job in try readJobs(.ready) { index(job) }
        for job in try readJobs(.deferred) { index(job, deferred: true) }
        try FileManager.default.createDirectory(at: folder(.active), withIntermediateDirectories: true)
        // Staged files never renamed belong to an enqueue that crashed; its caller re-plans them.
        let staging = directory.appendingPathComponent("incoming", isDirectory: true)
        try? FileManager.default.removeItem(at: staging)
    }

    private func index(_ job: SpoolJob, deferred: Bool = false) {
        if waiting[job.campaign] == nil {
            waiting[job.campaign] = CampaignQueue()
            campaignOrder.append(job.campaign)
        }
        if deferred {
            waiting[job.campaign]!.deferred.append(job)
        } else if let last = waiting[job.campaign]!.ready.last, last.id > job.id {
            // Out of order only when an in-flight job is put back at start-up: rare, so a linear insert is fine.
            let i = waiting[job.campaign]!.ready.firstIndex(where: { $0.id > job.id })!
            waiting[job.campaign]!.ready.insert(job, at: i)
        } else {
            waiting[job.campaign]!.ready.append(job)
        }
    }
}
