import Foundation
import Testing
import WabulkBase

/// outbox/status.html from the real daemon mid-campaign (the real sandbox holding the later sends), loaded
/// in headless Chromium from the folder as staff would open it: the page's numbers are status.json's, it asks
/// nothing of the network, a hostile campaign name is only text, and a stopped daemon's page says so.
@Suite(.serialized) struct StatusPageTests {
    typealias Rig = SuppressionFlowTests.Rig

    static let chromium = "/usr/bin/chromium"
    static let flags = [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-pings", "--disable-default-apps", "--disable-extensions", "--hide-scrollbars",
    ]

    static func phone(_ i: Int) -> String { "+9198767\(String(format: "%05d", i))" }

    /// Runs Chromium with its output in a file: its helper processes outlive it holding whatever it was given
    /// as stdout, so a pipe would never reach its end.
    static func chromium(_ arguments: [String], in dir: URL) async throws -> (status: Int32, output: String) {
        let out = dir.appendingPathComponent("chromium-\(UUID().uuidString).out")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        let handle = try FileHandle(forWritingTo: out)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromium)
        process.arguments = flags + arguments
        process.standardOutput = handle
        process.standardError = FileHandle.nullDevice
        try process.run()
        let status = try await onOwnThread { () -> Int32 in
            process.waitUntilExit()
            return process.terminationStatus
        }
        try handle.close()
        return (status, try String(contentsOf: out, encoding: .utf8))
    }

    /// The page as Chromium built it (scripts run), and every URL it asked for that is not the browser's own
    /// (update and time checks to Google's hosts).
    static func load(_ page: URL, in dir: URL) async throws -> (dom: String, requested: [String]) {
        let netLog = dir.appendingPathComponent("net-\(UUID().uuidString).json")
        let r = try await chromium(["--log-net-log=\(netLog.path)", "--dump-dom", page.absoluteString], in: dir)
        #expect(r.status == 0)
        let log = try JSONSerialization.jsonObject(with: Data(contentsOf: netLog)) as? [String: Any]
        let urls = Set(((log?["events"] as? [[String: Any]]) ?? []).compactMap { ($0["params"] as? [String: Any])?["url"] as? String })
        let own = ["google.com", "googleapis.com", "gvt1.com"]
        let requested = urls.filter { url in
            guard let host = URL(string: url)?.host else { return true }
            return !own.contains { host == $0 || host.hasSuffix("." + $0) }
        }
        return (r.output, requested.sorted())
    }

    /// The text of the first element whose attribute `id` (or class) is `name` in a dumped DOM.
    static func value(_ dom: String, id: String) -> String? {
        guard let start = dom.range(of: "id=\"\(id)\">") else { return nil }
        return String(dom[start.upperBound...].prefix { $0 != "<" })
    }

    @Test func theDaemonsPageMatchesItsNumbersLoadsNothingAndSaysWhenItIsStale() async throws {
        // The checker itself: a page with an outside image is caught.
        let probe = TempDir()
        let outside = probe.url.appendingPathComponent("outside.html")
        try Data(#"<!doctype html><img src="http://example.invalid/x.png">"#.utf8).write(to: outside)
        #expect(try await Self.load(outside, in: probe.url).requested == ["http://example.invalid/x.png"])

        let rig = try Rig(
            sandboxArguments: ["--pause-after", Self.phone(3)],
            // One request at a time: with several in flight, a loaded machine could deliver the send to the third
            // number before the first two, which the sandbox then holds (its pause counts from that send).
            settings: [
                "WABULK_STATUS_SECONDS": "1", "WABULK_RATE": "600/min", "WABULK_SEND_CONCURRENCY": "1",
                "WHATSAPP_BUSINESS_ACCOUNT_ID": "102290129340398",
            ]
        )
        #expect(try await eventually { await rig.get("/sandbox/stats") != nil })
        defer { rig.daemon.stop() }
        #expect(try await rig.wabulk(["templates", "sync"]).status == 0)
        try rig.drop("contacts.csv", "Name,Phone\n" + (1...8).map { "P\($0),\(Self.phone($0))" }.joined(separator: "\n") + "\n")
        try rig.daemon.start()
        try #require(try await eventually(timeout: 60) { rig.receipt("contacts.csv") != nil }, "\(rig.daemonLog().suffix(4000))")
        let hostile = "<img src=x onerror=alert(1)>"
        try rig.drop(
            "diwali.json",
            #"{"id": "diwali", "name": "\#(hostile)", "template": {"name": "diwali_offer", "language": "en_US"}, "audience": {"all": true}, "variables": {"body": ["{name}", "20%"]}}"#
        )
        // Mid-campaign: the sandbox took three (or one more that passed its gate at the same moment), the rest
        // wait, held at the sandbox or still in the spool.
        #expect(
            try await eventually { await rig.records().count >= 3 },
            "\(String(describing: rig.receipt("diwali.json")))\n\(rig.daemonLog().suffix(6000))"
        )
        #expect(await rig.records().count < 8)
        let outbox = rig.home.appendingPathComponent("outbox")
        let statusFile = outbox.appendingPathComponent("status.json")
        let page = outbox.appendingPathComponent("status.html")
        // A snapshot taken after the three were answered: both files come from it.
        #expect(
            try await eventually {
                let json = (try? JSONSerialization.jsonObject(with: Data(contentsOf: statusFile))) as? [String: Any]
                let diwali = (json?["campaigns"] as? [[String: Any]])?.first { $0["id"] as? String == "diwali" }
                return ((diwali?["counts"] as? [String: Any])?["sent"] as? Int ?? 0) >= 3
            }
        )
        // status.json and status.html are written from one snapshot: both are copied at once (again if a write
        // fell between the two reads, told by the page's own `datetime`), and the copy is loaded.
        var json: [String: Any] = [:]
        let copy = outbox.appendingPathComponent("status-copy.html")
        var matched = false
        for _ in 0..<50 where !matched {
            let html = try String(contentsOf: page, encoding: .utf8)
            json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: statusFile)) as? [String: Any])
            matched = html.contains(#"datetime="\#(json["writtenAt"] as? String ?? "-")""#)
            if matched { try Data(html.utf8).write(to: copy) } else { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(matched, "no page and status.json of the same time")
        let loaded = try await Self.load(copy, in: rig.home)
        let dom = loaded.dom
        #expect(loaded.requested == [])
        let campaign = try #require((json["campaigns"] as? [[String: Any]])?.first { $0["id"] as? String == "diwali" })
        let counts = try #require(campaign["counts"] as? [String: Int])
        let article = try #require(dom.range(of: #"data-campaign="diwali""#).map { String(dom[$0.lowerBound...].prefix(4000)) })
        func number(_ cls: String) -> Int? {
            guard let r = article.range(of: "class=\"\(cls)\">") else { return nil }
            return Int(article[r.upperBound...].prefix { $0 != "<" })
        }
        #expect(number("total") == counts["total"])
        #expect(number("sent") == counts["sent"])
        #expect(number("delivered") == counts["delivered"])
        #expect(number("read") == counts["read"])
        #expect(number("failed") == counts["failed"])
        #expect(number("total") == 8)
        let queue = try #require(json["queue"] as? [String: Int])
        #expect(Self.value(dom, id: "ready").flatMap(Int.init) == queue["ready"])
        #expect(Self.value(dom, id: "deferred").flatMap(Int.init) == queue["deferred"])
        #expect(Self.value(dom, id: "active").flatMap(Int.init) == queue["active"])
        // The hostile name is text, never an element.
        #expect(dom.contains("&lt;img src=x onerror=alert(1)&gt;"))
        #expect(!dom.contains("<img"))
        // Fresh: the stale banner stays hidden.
        #expect(dom.contains(#"<p class="banner stale" id="state" hidden="">"#))

        // As staff see it, on a desk and on a phone.
        let shots = rig.home.appendingPathComponent("shots")
        try FileManager.default.createDirectory(at: shots, withIntermediateDirectories: true)
        for (w, h) in [(1280, 800), (390, 844)] {
            let png = shots.appendingPathComponent("status-\(w)x\(h).png")
            let r = try await Self.chromium(["--screenshot=\(png.path)", "--window-size=\(w),\(h)", page.absoluteString], in: shots)
            #expect(r.status == 0)
            let bytes = [UInt8](try Data(contentsOf: png))
            // PNG's IHDR: width and height, big-endian, at bytes 16 and 20.
            let size = (bytes[16..<20].reduce(0) { $0 << 8 | Int($1) }, bytes[20..<24].reduce(0) { $0 << 8 | Int($1) })
            #expect(size == (w, h))
        }

        // The daemon stops: its last page says so.
        await rig.resumeSends()
        rig.daemon.stop()
        let stopped = try await Self.load(page, in: rig.home).dom
        #expect(stopped.contains(#"<p class="banner stale" id="state">STALE: the daemon stopped at "#), "\(stopped.prefix(2000))")
    }
}
