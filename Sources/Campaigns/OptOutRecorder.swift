import Contacts
import EventLog
import Foundation
import Spool
import WabulkBase

/// The one way an opt-out or a removal is recorded, whoever records it (the webhook follower, `wabulk contacts
/// optout|optin|remove`, an opt-out file, a control file, a 131050 failure): the spool's suppressions first,
/// dropping the number's waiting jobs in the same transaction (the dispatcher stops at once), then the
/// registry with the change's time (an older choice never overrides a newer one), then the spool again with
/// the registry's verdict. Each dropped message is logged `skipped` with the reason. Doing it twice changes
/// nothing, so a crash anywhere in between is repaired by doing it again.
public struct OptOutRecorder: Sendable {
    public let registry: ContactRegistry
    public let spoolDirectory: URL
    public let events: EventLogWriter
    public let now: @Sendable () -> Date

    public init(registry: ContactRegistry, spoolDirectory: URL, events: EventLogWriter, now: @escaping @Sendable () -> Date = Date.init) {
        self.registry = registry
        self.spoolDirectory = spoolDirectory
        self.events = events
        self.now = now
    }

    public struct Outcome: Sendable, Equatable {
        /// Each number's state after the change.
        public var results: [PreferenceChange.Result] = []
        /// Waiting messages that will not be sent.
        public var dropped: [Spool.StoppedJob] = []
        /// Messages already on their way when the opt-out was recorded.
        public var inFlight: [Spool.StoppedJob] = []
        /// Changes older than what the registry held: ignored.
        public var superseded = 0
    }

    public enum RecordError: Error, CustomStringConvertible {
        case registry(ContactsError)
        case spool(String)
        case eventLog(String)

        public var description: String {
            switch self {
            case .registry(let e): "contacts registry: \(e)"
            case .spool(let reason): "spool: \(reason)"
            case .eventLog(let reason): "event log: \(reason)"
            }
        }
    }

    /// Records opt-outs and opt-ins.
    @discardableResult
    public func record(_ changes: [PreferenceChange]) async throws(RecordError) -> Outcome {
        guard !changes.isEmpty else { return Outcome() }
        var outcome = Outcome()
        // A read never waits on an import's write lock: a stale change is known before anything is touched.
        let times: [String: Date]
        do { times = try registry.preferenceTimes(changes.map(\.phone)) } catch { throw .registry(error) }
        let fresh = changes.filter { change in times[change.phone].map { change.at >= $0 } ?? true }
        try await suppress(
            fresh.filter(\.optedOut).map { Suppression(phone: $0.phone, scope: $0.scope == .marketing ? .marketing : .all, source: $0.source) },
            into: &outcome,
            write: .widen
        )
        do { outcome.results = try registry.apply(changes, now: now()) } catch { throw .registry(error) }
        outcome.superseded = outcome.results.filter(\.superseded).count
        try await suppress(outcome.results.map(Self.suppression(for:)), into: &outcome)
        return outcome
    }

    /// Removes contacts: never messaged again, their waiting jobs dropped.
    @discardableResult
    public func remove(_ phones: [String]) async throws(RecordError) -> Outcome {
        var outcome = Outcome()
        try await suppress(phones.map { Suppression(phone: $0, scope: .all, source: Suppression.removedSource) }, into: &outcome, write: .widen)
        do { _ = try registry.remove(phones: phones, at: now()) } catch { throw .registry(error) }
        outcome.results = phones.map { PreferenceChange.Result(phone: $0, scope: nil, source: nil, active: false, changed: true, superseded: false) }
        return outcome
    }

    /// Hands the registry's current verdict on `phones` (nil: every unreachable number) to the spool. The
    /// daemon runs it at start-up for everything, so an opt-out recorded in the registry by a process that
    /// stopped before reaching the spool is never lost. It only adds or widens suppressions: lifting one is
    /// for the opt-in that caused it.
    @discardableResult
    public func reconcile() async throws(RecordError) -> Outcome {
        let unreachable: [PreferenceChange.Result]
        let current: [String: Suppression]
        do { unreachable = try registry.unreachable() } catch { throw .registry(error) }
        do { current = try Spool.suppressions(in: spoolDirectory) } catch { throw .spool("\(error)") }
        let missing = unreachable.map(Self.suppression(for:)).filter { wanted in
            guard let have = current[wanted.phone] else { return true }
            return have.scope.union(wanted.scope) != have.scope
        }
        var outcome = Outcome()
        try await suppress(missing, into: &outcome, write: .widen)
        return outcome
    }

    /// The suppression the registry's verdict on a number calls for.
    static func suppression(for result: PreferenceChange.Result) -> Suppression {
        if !result.active { return Suppression(phone: result.phone, scope: .all, source: Suppression.removedSource) }
        switch result.scope {
        case .all: return Suppression(phone: result.phone, scope: .all, source: result.source ?? "opt-out")
        case .marketing: return Suppression(phone: result.phone, scope: .marketing, source: result.source ?? "opt-out")
        case nil: return Suppression(phone: result.phone, scope: .none, source: result.source ?? "opt-in")
        }
    }

    private func suppress(_ entries: [Suppression], into outcome: inout Outcome, write: Spool.SuppressionWrite = .replace) async throws(RecordError) {
        guard !entries.isEmpty else { return }
        let result: Spool.SuppressionOutcome
        do { result = try Spool.suppress(entries, in: spoolDirectory, at: now(), write: write) } catch { throw .spool("\(error)") }
        let known = Set(outcome.inFlight.map(\.id))
        outcome.inFlight += result.inFlight.filter { !known.contains($0.id) }
        guard !result.dropped.isEmpty else { return }
        outcome.dropped += result.dropped
        let reasons = Dictionary(entries.map { ($0.phone, $0.skipReason) }, uniquingKeysWith: { _, last in last })
        let stamp = now()
        do {
            try await events.append(
                result.dropped.map {
                    MessageEvent(
                        time: stamp,
                        status: .skipped,
                        campaign: $0.campaign,
                        job: $0.id,
                        phone: $0.phone,
                        reason: reasons[$0.phone] ?? "opted out",
                        source: EventSource.optOut.rawValue
                    )
                },
                durable: true
            )
        } catch {
            throw .eventLog("\(error)")
        }
    }
}
