import Campaigns
import Contacts
import Foundation
import ShareLinks
import Templates
import WabulkBase

/// The `.json` requests staff drop: a share link, a control request (pause, resume, cancel, retry-failed,
/// opt-outs) or a campaign manifest.
extension InboxWatcher {
    /// A share request becomes outbox/share/<name>.txt/.png/.svg/.html; its receipt carries the link.
    func makeShareLink(_ object: JSONValue, file name: String) -> Receipt {
        do throws(ShareError) {
            let request = try ShareRequest.read(object: object)
            let templates = (try? TemplateCache.load(home.templatesFile))??.data ?? []
            let link = ShareLink(text: try request.text(templates: templates), phoneDigits: try request.phoneDigits(normalizer: importer.normalizer))
            let base = request.name ?? URL(fileURLWithPath: name).deletingPathExtension().lastPathComponent
            let output = try ShareOutput.write(link, name: base, into: home.share)
            var receipt = Receipt(
                file: name,
                kind: .share,
                outcome: .accepted,
                message: "share link ready: " + output.files.map { "share/\($0)" }.joined(separator: ", "),
                processedAt: now()
            )
            receipt.shareLink = output.link
            return receipt
        } catch {
            return Receipt(file: name, kind: .share, outcome: .rejected, message: error.description, processedAt: now())
        }
    }

    func applyControl(_ request: ControlRequest, file name: String) async -> Receipt {
        if request.action == "optout" || request.action == "opt-out" { return await applyOptOut(request, file: name) }
        guard let campaign = request.campaign, let actionText = request.action,
            let action = CampaignControl.Action(rawValue: actionText)
        else {
            return Receipt(
                file: name,
                kind: .control,
                outcome: .rejected,
                message:
                    "a control file needs {\"campaign\": \"ID\", \"action\": \"pause\" | \"resume\" | \"cancel\" | \"retry-failed\"} or {\"action\": \"optout\", \"phones\": [\"+91…\"]}",
                processedAt: now()
            )
        }
        do {
            let message = try await control.perform(action, campaign: campaign, by: "control file \(name)")
            return Receipt(file: name, kind: .control, outcome: .accepted, message: message, processedAt: now())
        } catch {
            return Receipt(file: name, kind: .control, outcome: .rejected, message: error.description, processedAt: now())
        }
    }

    /// `{"action": "optout", "phones": ["+91 98765 43210", …]}`: staff record opt-outs they were told of.
    func applyOptOut(_ request: ControlRequest, file name: String) async -> Receipt {
        let given = request.phones ?? []
        guard !given.isEmpty, given.count <= ControlRequest.maxPhones else {
            return Receipt(
                file: name,
                kind: .control,
                outcome: .rejected,
                message: given.isEmpty
                    ? "an optout control file needs \"phones\": [\"+91…\", …]"
                    : "an optout control file takes at most \(ControlRequest.maxPhones) numbers (\(given.count) given); drop an optout….csv file for more",
                processedAt: now()
            )
        }
        var phones: [String] = []
        var problems: [ManifestProblem] = []
        for (i, raw) in given.enumerated() {
            switch importer.normalizer.normalize(raw) {
            case .valid(let e164): if !phones.contains(e164) { phones.append(e164) }
            case .invalid(let reason): problems.append(.init(field: "phones[\(i)]", reason: "\(String(raw.prefix(40))): \(reason)"))
            }
        }
        let stamp = now()
        do {
            let outcome = try await optOuts.record(
                phones.map { PreferenceChange(phone: $0, optedOut: true, source: "control file \(name)", at: stamp) }
            )
            var message = "\(phones.count) numbers opted out; \(outcome.dropped.count) waiting messages will not be sent"
            if !outcome.inFlight.isEmpty {
                message += "; \(outcome.inFlight.count) already on their way (\(outcome.inFlight.map(\.id).joined(separator: ", ")))"
            }
            if !problems.isEmpty { message += "; \(problems.count) numbers not understood" }
            var receipt = Receipt(file: name, kind: .control, outcome: .accepted, message: message, processedAt: now())
            receipt.problems = problems.isEmpty ? nil : problems
            return receipt
        } catch {
            return Receipt(file: name, kind: .control, outcome: .failed, message: "could not record the opt-outs: \(error)", processedAt: now())
        }
    }

    func planCampaign(_ object: JSONValue, file name: String, resumed: Bool) async -> Receipt {
        let rejected = { (problems: [ManifestProblem], message: String) -> Receipt in
            var r = Receipt(file: name, kind: .campaign, outcome: .rejected, message: message, processedAt: self.now())
            r.problems = problems
            return r
        }
        let manifest: CampaignManifest
        do throws(ManifestRejection) {
            manifest = try ManifestReader.read(object: object, fileName: name)
        } catch {
            return rejected(error.problems, "the manifest was rejected; nothing was sent")
        }
        do {
            let plan = try await planner.plan(manifest, sourceFile: name)
            let skipped = plan.skipped.values.reduce(0, +)
            var receipt = Receipt(
                file: name,
                kind: .campaign,
                outcome: .accepted,
                message: plan.dryRun
                    ? "dry run: \(plan.queued) would be sent, \(skipped) skipped; nothing was sent"
                    : "campaign \(plan.campaign): \(plan.queued) messages queued, \(skipped) skipped",
                processedAt: now()
            )
            receipt.campaign = .init(
                id: plan.campaign,
                queued: plan.queued,
                skipped: plan.skipped,
                dryRun: plan.dryRun,
                outcomes: plan.outcomes,
                repliedLeftOut: plan.repliedLeftOut
            )
            if manifest.trigger != nil {
                receipt.message =
                    "campaign \(plan.campaign) greets each contact who enters its audience from now on, once"
                    + (manifest.until.map { " (until \($0))" } ?? "")
            }
            if let schedule = manifest.repeat {
                let when = schedule.every == .week ? "every \(schedule.on ?? "") at \(schedule.at)" : "every day at \(schedule.at)"
                receipt.message =
                    "campaign \(plan.campaign) repeats \(when) (\(schedule.timezone)); first occurrence at \(plan.nextOccurrence ?? "none before its end")"
            }
            if let outcomes = plan.outcomes, let earlier = manifest.audience.campaign {
                let counts = outcomes.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
                receipt.message += "; follow-up of \(earlier): \(counts.isEmpty ? "none matched" : counts)"
                if let replied = plan.repliedLeftOut, replied > 0 { receipt.message += ", \(replied) who replied left out" }
            }
            if !plan.warnings.isEmpty {
                receipt.warnings = plan.warnings
                receipt.message += "; warning: " + plan.warnings.joined(separator: "; ")
            }
            return receipt
        } catch {
            switch error {
            case .rejected(let r): return rejected(r.problems, "the manifest was rejected; nothing was sent")
            case .duplicate(let id, let firstFile):
                // A restart after planning finished but before the receipt: this is the same file, already planned.
                if resumed, firstFile == name, let record = CampaignRecord.load(id, in: home.campaigns) {
                    var receipt = Receipt(
                        file: name,
                        kind: .campaign,
                        outcome: .accepted,
                        message:
                            "campaign \(id): \(record.queued) messages queued, \(record.skipped.values.reduce(0, +)) skipped (finished after a restart)",
                        processedAt: now()
                    )
                    receipt.campaign = .init(id: id, queued: record.queued, skipped: record.skipped, dryRun: record.phase == .dryRun)
                    return receipt
                }
                return rejected([.init(field: "id", reason: error.description)], "the manifest was refused; nothing was sent")
            case .storage(let reason):
                var r = Receipt(file: name, kind: .campaign, outcome: .failed, message: "could not plan the campaign: \(reason)", processedAt: now())
                r.campaign = .init(id: manifest.id, queued: 0, skipped: [:], dryRun: false)
                return r
            }
        }
    }
}
