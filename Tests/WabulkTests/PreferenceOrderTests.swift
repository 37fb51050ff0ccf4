import Campaigns
import Contacts
import EventLog
import Foundation
import Spool
import Testing
import WabulkBase

/// Opt-outs and opt-ins ordered by Meta's timestamps, whatever order and however often they arrive: posted
/// signed to the real listener, applied by the follower, read back from the registry and the spool.
@Suite struct PreferenceOrderTests {
    static let phone = "+919876500004"

    static func preference(_ value: String, at time: Int) -> [UInt8] {
        WebhookFlowTests.envelope(
            #"{"field":"user_preferences","value":{"messaging_product":"whatsapp","user_preferences":[{"wa_id":"919876500004","detail":"x","category":"marketing_messages","value":"\#(value)","timestamp":\#(time)}]}}"#
        )
    }

    /// Posts the bodies in order, lets the follower act after each, and returns the final opt-out state.
    func deliver(_ bodies: [[UInt8]], to f: WebhookFlowTests.Fixture) async throws -> (registry: Bool, spool: Suppression.Scope?) {
        for body in bodies {
            try await WebhookFlowTests.withListener(f.home.log) { post in
                let answer = try await post(body, WebhookFlowTests.sign(body))
                #expect(answer == 200)
            }
            _ = try await f.follow()
        }
        let contact = try #require(try f.registry.contact(phone: Self.phone))
        return (contact.optedOut, try Spool.suppressions(in: f.home.spool)[Self.phone]?.scope)
    }

    @Test func aLateResumeOlderThanTheStopLeavesThePersonOptedOut() async throws {
        let f = try await WebhookFlowTests.Fixture()
        let state = try await deliver([Self.preference("stop", at: 1_750_030_200), Self.preference("resume", at: 1_750_030_100)], to: f)
        #expect(state.registry == true)
        #expect(state.spool == .all)
        // Its waiting message was dropped by the stop and stays dropped.
        #expect(!f.waitingPhones().contains(Self.phone))
        #expect(try f.registry.contact(phone: Self.phone)?.optOutSource == "webhook: stopped marketing_messages in WhatsApp")
    }

    @Test func aLateStopOlderThanTheResumeLeavesThePersonOptedIn() async throws {
        let f = try await WebhookFlowTests.Fixture()
        let state = try await deliver([Self.preference("resume", at: 1_750_030_200), Self.preference("stop", at: 1_750_030_100)], to: f)
        #expect(state.registry == false)
        #expect(state.spool == nil)  // lifted
        // The stale stop dropped nothing: the message still waits.
        #expect(f.waitingPhones().contains(Self.phone))
    }

    @Test func inOrderWithDuplicatesTheNewestWins() async throws {
        let f = try await WebhookFlowTests.Fixture()
        let stop = Self.preference("stop", at: 1_750_030_100)
        let resume = Self.preference("resume", at: 1_750_030_200)
        var state = try await deliver([stop, stop, resume, stop, resume, resume], to: f)
        #expect(state.registry == false)
        #expect(state.spool == nil)  // lifted
        // A newer stop after all that: out again; its redelivery and the old resume change nothing.
        state = try await deliver([Self.preference("stop", at: 1_750_030_300), resume, Self.preference("stop", at: 1_750_030_300)], to: f)
        #expect(state.registry == true)
        #expect(state.spool == .all)
        let contact = try #require(try f.registry.contact(phone: Self.phone))
        #expect(contact.optedOutAt == Timestamp.format(Date(timeIntervalSince1970: 1_750_030_300)))
    }

    @Test func aStopAndAResumeAtTheSameSecondLeaveThePersonOptedOut() async throws {
        let f = try await WebhookFlowTests.Fixture()
        let state = try await deliver([Self.preference("stop", at: 1_750_030_100), Self.preference("resume", at: 1_750_030_100)], to: f)
        #expect(state.registry == true)
        #expect(state.spool == .all)
    }

    @Test func aMarketingOnlyOptOutKeepsUtilityMessagesAndAFullOneWinsOverIt() async throws {
        let dir = TempDir()
        let registry = try ContactRegistry(path: dir.url.appendingPathComponent("c.sqlite"))
        let recorder = OptOutRecorder(
            registry: registry,
            spoolDirectory: dir.url.appendingPathComponent("spool"),
            events: EventLogWriter(directory: dir.url.appendingPathComponent("log"))
        )
        try await recorder.record([
            PreferenceChange(
                phone: Self.phone,
                optedOut: true,
                scope: .marketing,
                source: "meta-131050",
                at: Date(timeIntervalSince1970: 100)
            )
        ])
        var contact = try #require(try registry.contact(phone: Self.phone))
        #expect(contact.optOutScope == .marketing)
        #expect(!contact.isReachable(category: "MARKETING") && !contact.isReachable(category: nil) && contact.isReachable(category: "UTILITY"))
        // A later STOP widens it to everything; a later 131050 never narrows it back.
        try await recorder.record([PreferenceChange(phone: Self.phone, optedOut: true, source: "replied STOP", at: Date(timeIntervalSince1970: 200))])
        try await recorder.record([
            PreferenceChange(
                phone: Self.phone,
                optedOut: true,
                scope: .marketing,
                source: "meta-131050",
                at: Date(timeIntervalSince1970: 300)
            )
        ])
        contact = try #require(try registry.contact(phone: Self.phone))
        #expect(contact.optOutScope == .all)
        #expect(contact.optOutSource == "replied STOP")
        #expect(!contact.isReachable(category: "UTILITY"))
        #expect(
            try Spool.suppressions(in: dir.url.appendingPathComponent("spool"))[Self.phone]
                == Suppression(phone: Self.phone, scope: .all, source: "replied STOP")
        )
    }
}
