import CloudAPI
import EventLog
import Foundation
import Logging
import Spool
import WabulkBase

/// Media headers: a file is sent by the id of its one upload; media Meta cannot use holds the campaign with
/// the reason, since every message of it would fail the same way.
extension Dispatcher {
    /// The parameters as they go to Meta (a file replaced by its media id), or nil when the job was put back
    /// because its campaign is now held.
    func parametersToSend(_ job: SpoolJob) async -> TemplateParameters? {
        var parameters = job.template.parameters
        guard case .media(var header) = parameters.header, case .file(let name) = header.source else { return parameters }
        let answer = await media?.id(for: name, kind: header.kind) ?? .unusable("media \(name): files cannot be sent by this process")
        switch answer {
        case .id(let id):
            header.source = .id(id)
            parameters.header = .media(header)
            return parameters
        case .unusable(let reason):
            await untilRecorded(job.id) { try await self.holdForMedia(job, media: name, reason: reason, code: nil) }
            return nil
        }
    }

    /// Meta could not fetch the media (131053): a file is uploaded once more and the message tried again;
    /// a second time, or for a link or id staff gave, the campaign is held. False when the job has no media.
    func handleMediaFailure(_ job: SpoolJob, code: Int?, title: String, sentID: String?) async throws -> Bool {
        guard code == 131053, case .media(let header) = job.template.parameters.header else { return false }
        switch header.source {
        case .file(let name):
            if let sentID, await media?.mediaFailed(name, id: sentID) == true {
                var retry = job
                retry.attempt -= 1
                var event = job.dispatchEvent(at: now())
                event.status = .deferred
                event.failure = .meta
                event.errorCode = code
                event.errorTitle = title
                event.reason = "Meta could not fetch media \(name); it is uploaded again"
                logger.notice("media \(name): Meta could not fetch it; uploading it again", metadata: job.logMetadata(code: code))
                try await events.append(event, durable: true)
                try await spool.requeue(retry)
                return true
            }
            try await holdForMedia(
                job,
                media: name,
                reason: "Meta could not fetch media \(name) even after uploading it again (#131053 \(title))",
                code: code
            )
        case .link(let text), .id(let text):
            try await holdForMedia(
                job,
                media: text,
                reason: "Meta could not fetch media \(text) (#131053 \(title)); fix the link or id, then resume",
                code: code
            )
        }
        return true
    }

    /// Holds the job's campaign with the reason and puts the job back (its attempt not counted).
    func holdForMedia(_ job: SpoolJob, media: String, reason: String, code: Int?) async throws {
        var retry = job
        retry.attempt -= 1
        var event = job.dispatchEvent(at: now())
        event.status = .deferred
        event.errorCode = code
        event.reason = "campaign stopped: \(reason)"
        logger.error("campaign \(job.campaign) stopped: \(reason)", metadata: job.logMetadata(code: code))
        try SpoolControl.update(spool: spoolDirectory) {
            $0.campaignHolds[job.campaign] = .init(reason: reason, cause: .media(media), errorCode: code, since: self.now())
        }
        controlWatch.invalidate()
        try await events.append(event, durable: true)
        try await spool.requeue(retry)
    }
}
