import Foundation
import Spool
import Testing
import WabulkBase

@testable import CloudAPI
@testable import Sending

@Suite struct RateLimiterTests {
    /// The most sends found in any window of `length` (closed on both ends, the strictest reading).
    func busiestWindow(_ times: [Duration], length: Duration) -> Int {
        var best = 0
        var start = 0
        for end in times.indices {
            while times[end] - times[start] > length { start += 1 }
            best = max(best, end - start + 1)
        }
        return best
    }

    @Test func thirtyAMinuteNeverPutsMoreThanThirtyInAnyMinute() {
        var limiter = RateLimiter(rate: SendRate(count: 30, window: .seconds(60)))
        // 1,000 jobs all ready at once, asked for in a tight loop.
        var times: [Duration] = []
        for _ in 0..<1000 { times.append(limiter.reserve(now: .zero)) }
        #expect(busiestWindow(times, length: .seconds(60)) == 30)
        #expect(times[1] - times[0] == .seconds(2))
        #expect(times[999] < .seconds(2005))
    }

    @Test func fiftyASecondNeverPutsMoreThanFiftyInAnySecond() {
        var limiter = RateLimiter(rate: SendRate(count: 50, window: .seconds(1)))
        var times: [Duration] = []
        var now = Duration.zero
        for i in 0..<1000 {
            if i % 7 == 0 { now += .milliseconds(3) }  // callers arriving at their own pace
            times.append(limiter.reserve(now: now))
        }
        #expect(busiestWindow(times, length: .seconds(1)) <= 50)
        #expect(times.last! < .milliseconds(20_100))
    }

    @Test func slowDownDoublesTheSpacingUntilAWindowOfSuccesses() {
        var limiter = RateLimiter(rate: SendRate(count: 60, window: .seconds(60)))
        #expect(limiter.spacing == .seconds(1))
        limiter.slowDown()
        #expect(limiter.spacing == .seconds(2))
        for _ in 0..<59 { limiter.recover() }
        #expect(limiter.spacing == .seconds(2))
        limiter.recover()
        #expect(limiter.spacing == .seconds(1))
    }
}

@Suite struct RetryPolicyTests {
    @Test func theSeedSystemsBackoff() {
        let policy = RetryPolicy(maxAttempts: 3, baseDelay: .seconds(5), jitter: 0)
        #expect(policy.delay(after: 1) == .seconds(5))
        #expect(policy.delay(after: 2) == .seconds(10))
        #expect(policy.delay(after: 3) == nil)
    }

    @Test func jitterOnlyAdds() {
        let policy = RetryPolicy(maxAttempts: 5, baseDelay: .seconds(4), jitter: 0.5)
        #expect(policy.delay(after: 2, randomFraction: 0) == .seconds(8))
        #expect(policy.delay(after: 2, randomFraction: 0.5) == .seconds(10))
    }
}

@Suite struct CloudAPITests {
    @Test func requestBodyIsMetasTemplateShape() throws {
        let message = TemplateMessage(
            to: "919876543210",
            templateName: "diwali_offer",
            language: "en_US",
            bodyParameters: ["Priya", "20%"],
            callbackData: "diwali.0000001"
        )
        let json = String(decoding: message.requestBody(), as: UTF8.self)
        #expect(
            json
                == #"{"biz_opaque_callback_data":"diwali.0000001","messaging_product":"whatsapp","recipient_type":"individual","template":{"components":[{"parameters":[{"text":"Priya","type":"text"},{"text":"20%","type":"text"}],"type":"body"}],"language":{"code":"en_US"},"name":"diwali_offer"},"to":"+919876543210","type":"template"}"#
        )
    }

    @Test func graphErrorsAreReadByCode() throws {
        let body =
            #"{"error":{"message":"(#130429) Rate limit hit","type":"OAuthException","code":130429,"error_data":{"messaging_product":"whatsapp","details":"Cloud API message throughput has been reached."},"error_subcode":2494055,"fbtrace_id":"Az8or2yhqkZfEZ-_4Qn_Bam"}}"#
        let error = try #require(GraphError(responseBody: Array(body.utf8)))
        #expect(
            error
                == GraphError(
                    code: 130429,
                    title: "Rate limit hit",
                    details: "Cloud API message throughput has been reached.",
                    fbtraceID: "Az8or2yhqkZfEZ-_4Qn_Bam"
                )
        )
        #expect(GraphError(responseBody: Array("<html>".utf8)) == nil)
    }

    @Test(arguments: [
        (190, ErrorAction.stopQueue), (0, .stopQueue), (250, .stopQueue), (130429, .slowDown), (131056, .slowDownRecipient),
        (131049, .retryAfterADay), (131000, .retry), (133004, .retry), (131026, .fail), (131050, .fail),
        (132001, .stopCampaign), (132015, .stopCampaign), (999_999, .fail),
    ])
    func eachCodeHasOneAction(code: Int, action: ErrorAction) {
        #expect(MetaErrorCatalog.entry(for: code).action == action)
    }

    @Test func httpFailuresWithoutMetasBodyAreTransientOnlyWhenTheServerIsAtFault() {
        #expect(SendOutcome.transportFailure("reset", httpStatus: nil, retryAfter: nil).action == .retry)
        #expect(SendOutcome.transportFailure("x", httpStatus: 503, retryAfter: nil).action == .retry)
        #expect(SendOutcome.transportFailure("x", httpStatus: 429, retryAfter: 3).action == .retry)
        #expect(SendOutcome.transportFailure("x", httpStatus: 404, retryAfter: nil).action == .fail)
    }
}

/// Log lines about a message carry its job, campaign and attempt (and Meta's code) as metadata, never its number.
@Suite struct SendLogMetadataTests {
    @Test func aJobsLinesCarryItsKeys() {
        var job = SpoolJob(campaign: "diwali", sequence: 7, phone: "+919876500001", name: "N", template: .init(name: "t", language: "en", body: []))
        job.attempt = 2
        #expect(job.logMetadata() == ["job": "diwali.0000007", "campaign": "diwali", "attempt": "2"])
        #expect(job.logMetadata(code: 131_000)["code"] == "131000")
        #expect(!job.logMetadata().values.contains { "\($0)".contains("9876500001") })
    }
}
