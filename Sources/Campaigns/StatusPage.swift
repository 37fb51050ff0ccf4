import Foundation
import WabulkBase

/// outbox/status.html: the status for people, opened straight from the shared folder (file://, offline) in
/// any browser, a phone's too. One self-contained page — inline CSS and SVG, no external request, readable
/// without JavaScript; a few lines of script only mark it stale when its time is old (a crashed daemon writes
/// no "stopped" page). It reloads itself every 30 s. Every text from outside (campaign names, reasons, Meta's
/// titles) is escaped.
public enum StatusPage {
    public static func file(in home: HomeLayout) -> URL { home.outbox.appendingPathComponent("status.html") }

    public static func render(_ s: StatusSnapshot, timeZone: TimeZone) -> String {
        let written = s.writtenAt ?? ""
        var body: [String] = []
        let stopped = s.daemon == "stopped"
        body.append(
            #"<header><h1>wabulk</h1><p class="when">as of <time id="written" datetime="\#(escape(written))">\#(escape(local(written, timeZone)))</time> · rewritten every 30 s</p></header>"#
        )
        body.append(
            stopped
                ? #"<p class="banner stale" id="state">STALE: the daemon stopped at \#(escape(local(written, timeZone))); these numbers are from then.</p>"#
                : #"<p class="banner stale" id="state" hidden>STALE: this page has not been rewritten for a while; the daemon may have stopped.</p>"#
        )
        if let p = s.paused {
            body.append(
                #"<p class="banner bad">Sending paused since \#(escape(local(p.since, timeZone))): \#(escape(p.reason)). Fix it, then run <code>wabulk resume</code>.</p>"#
            )
        }
        if let m = s.marketingHeld {
            body.append(
                #"<p class="banner warn">Marketing held since \#(escape(local(m.since, timeZone))): \#(escape(m.reason)). <code>wabulk resume</code> sends it anyway.</p>"#
            )
        }
        for warning in s.webhooks?.warnings ?? [] {
            body.append(#"<p class="banner warn webhooks">Webhooks: \#(escape(warning))</p>"#)
        }
        body.append(campaignsSection(s))
        body.append(funnelSection(s))
        body.append(timelineSection(s, timeZone: timeZone))
        body.append(queueSection(s))
        body.append(failuresSection(s))
        body.append(accountSection(s, timeZone: timeZone))
        body.append(reportsSection(s))
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta http-equiv="refresh" content="30">
            <title>wabulk status</title>
            <style>\(css)</style>
            </head><body>
            \(body.joined(separator: "\n"))
            <script>\(staleScript)</script>
            </body></html>

            """
    }

    // MARK: sections

    /// Campaigns still going (or held, or scheduled), and those that ended in the last week: a year of
    /// campaigns would bury today's.
    static func shown(_ s: StatusSnapshot) -> [StatusSnapshot.CampaignLine] {
        let weekAgo = Timestamp.format((s.writtenAt.flatMap(Timestamp.parse) ?? Date()).addingTimeInterval(-7 * 86_400))
        return s.campaigns.filter { c in
            switch c.state {
            case "completed", "cancelled", "dry run": (c.completedAt ?? c.createdAt) >= weekAgo
            default: true
            }
        }
    }

    static func campaignsSection(_ s: StatusSnapshot) -> String {
        var rows: [String] = []
        let shown = shown(s)
        for c in shown {
            let n = c.counts
            let total = max(n.total, 1)
            let parts: [(String, Int)] = [
                ("read", n.read), ("delivered", n.delivered - n.read), ("sent", n.sent - n.delivered), ("failed", n.failed),
                ("skipped", n.skipped + n.cancelled), ("waiting", n.pending),
            ]
            let bar = parts.filter { $0.1 > 0 }.map { name, count in
                #"<span class="seg seg-\#(name)" style="width:\#(percent(count, of: total))" title="\#(name) \#(count)"></span>"#
            }.joined()
            let title = c.name.map { "\(escape($0)) <small>\(escape(c.id))</small>" } ?? escape(c.id)
            rows.append(
                """
                <article class="campaign" data-campaign="\(escape(c.id))"><h3>\(title) <span class="state \(escape(c.state.replacingOccurrences(of: " ", with: "-")))">\(escape(c.state))</span></h3>
                <div class="bar">\(bar)</div>
                <p class="counts"><span>total <b class="total">\(n.total)</b></span> <span>sent <b class="sent">\(n.sent)</b></span> <span>delivered <b class="delivered">\(n.delivered)</b></span> <span>read <b class="read">\(n.read)</b></span> <span>failed <b class="failed">\(n.failed)</b></span> <span>skipped <b class="skipped">\(n.skipped + n.cancelled)</b></span> <span>waiting <b class="waiting">\(n.pending)</b></span></p>
                <p class="rates">delivery <b>\(rate(c.deliveryRate))</b> · read <b>\(rate(c.readRate))</b> · failure <b>\(rate(c.failureRate))</b></p></article>
                """
            )
        }
        let older = s.campaigns.count - shown.count
        let more = older > 0 ? "<p><small>\(older) campaigns that ended more than a week ago: <code>wabulk status</code> lists them.</small></p>" : ""
        return "<section><h2>Campaigns</h2>\(rows.isEmpty ? "<p>No campaigns this week.</p>" : rows.joined(separator: "\n"))\(more)</section>"
    }

    static func funnelSection(_ s: StatusSnapshot) -> String {
        var total = 0
        var sent = 0
        var delivered = 0
        var read = 0
        for c in shown(s) where c.state != "dry run" {
            total += c.counts.total
            sent += c.counts.sent
            delivered += c.counts.delivered
            read += c.counts.read
        }
        let steps = [("Messages", total), ("Sent", sent), ("Delivered", delivered), ("Read", read)]
        let top = max(total, 1)
        var svg = #"<svg viewBox="0 0 400 130" role="img" aria-label="funnel" class="chart">"#
        for (i, (label, value)) in steps.enumerated() {
            let width = Double(value) / Double(top) * 260
            let y = i * 32
            svg +=
                #"<text x="0" y="\#(y + 18)">\#(label)</text><rect x="90" y="\#(y + 4)" width="\#(String(format: "%.1f", width))" height="22" class="f\#(i)"></rect><text x="\#(String(format: "%.1f", 96 + width))" y="\#(y + 20)">\#(value)</text>"#
        }
        svg += "</svg>"
        return "<section><h2>Funnel</h2>\(svg)<p><small>The campaigns above.</small></p></section>"
    }

    static func timelineSection(_ s: StatusSnapshot, timeZone: TimeZone) -> String {
        guard let hours = s.sentByHour, !hours.isEmpty else { return "" }
        let top = max(hours.max() ?? 0, 1)
        let first = s.hoursFrom.flatMap(Timestamp.parse)
        var svg = #"<svg viewBox="0 0 480 150" role="img" aria-label="messages sent per hour" class="chart">"#
        for (i, n) in hours.enumerated() {
            let h = Double(n) / Double(top) * 110
            let x = i * 20
            svg +=
                #"<rect x="\#(x + 2)" y="\#(String(format: "%.1f", 120 - h))" width="16" height="\#(String(format: "%.1f", h))" class="hour"><title>\#(n) sent</title></rect>"#
            if i % 4 == 0, let first {
                svg += #"<text x="\#(x)" y="140">\#(hour(first.addingTimeInterval(Double(i) * 3600), timeZone))</text>"#
            }
        }
        svg += "</svg>"
        return
            "<section><h2>Sent per hour, last 24 hours</h2>\(svg)<p>\(hours.reduce(0, +)) sent in 24 hours, \(s.sentLastMinute) in the last minute; rate \(escape(s.configuredRate)).</p></section>"
    }

    static func queueSection(_ s: StatusSnapshot) -> String {
        var out =
            #"<section><h2>Queue</h2><p class="queue"><span>ready <b id="ready">\#(s.queue.ready)</b></span> <span>deferred <b id="deferred">\#(s.queue.deferred)</b></span> <span>in flight <b id="active">\#(s.queue.active)</b></span></p>"#
        if let waiting = s.waiting, !waiting.isEmpty {
            out += "<table><tr><th>Waiting because</th><th>Messages</th></tr>"
            for w in waiting { out += "<tr><td>\(escape(w.why))</td><td class=\"num\">\(w.count)</td></tr>" }
            out += "</table>"
        }
        let held = s.campaigns.filter { $0.hold != nil }
        if !held.isEmpty {
            out += "<table><tr><th>Held campaign</th><th>Why</th><th>To go on</th></tr>"
            for c in held {
                let hold = c.hold!
                let action =
                    hold.cause.isPause
                    ? "<code>wabulk resume --campaign \(escape(c.id))</code>"
                    : "fix the cause, then <code>wabulk resume --campaign \(escape(c.id))</code>"
                out +=
                    "<tr><td>\(escape(c.id))</td><td>\(escape(hold.reason))<br><small>since \(escape(hold.since))</small></td><td>\(action)</td></tr>"
            }
            out += "</table>"
        }
        return out + "</section>"
    }

    static func failuresSection(_ s: StatusSnapshot) -> String {
        guard !s.errorsLastDay.isEmpty else { return "<section><h2>Failures, last 24 hours</h2><p>None.</p></section>" }
        var out =
            "<section><h2>Failures, last 24 hours</h2><table><tr><th>Code</th><th>Messages</th><th>What Meta said</th><th>What wabulk does</th></tr>"
        for e in s.errorsLastDay {
            out +=
                "<tr><td>\(e.code)</td><td class=\"num\">\(e.count)</td><td>\(escape(e.title))<br><small>\(escape(e.explanation ?? ""))</small></td><td>\(escape(e.action ?? ""))</td></tr>"
        }
        return out + "</table></section>"
    }

    static func accountSection(_ s: StatusSnapshot, timeZone: TimeZone) -> String {
        var items: [String] = []
        items.append("Opt-outs in the last 24 hours: <b id=\"optouts\">\(s.optOutsLastDay ?? 0)</b>")
        if let m = s.messaging {
            let of = m.unlimited ? "no limit" : m.limit.map { "a limit of \($0)" } ?? "limit not known"
            items.append(
                "Messaging limit: <b id=\"used\">\(m.used)</b> people messaged in the last 24 hours, \(of)"
                    + (m.nextFreeAt.map { "; reached, next free at \(escape(local($0, timeZone)))" } ?? "")
            )
        }
        items.append("Webhook signatures: \(escape(s.webhookSignatures))")
        if let w = s.webhooks { items.append("Last status webhook: \(w.lastStatusAt.map { escape(local($0, timeZone)) } ?? "none yet")") }
        if let e = s.lastError {
            items.append(
                "Last error: \(escape(local(e.time, timeZone))) \(escape(e.campaign ?? "")) \(e.code.map { "(#\($0))" } ?? "") \(escape(e.title ?? ""))"
            )
        }
        return "<section><h2>Account</h2><ul>" + items.map { "<li>\($0)</li>" }.joined() + "</ul></section>"
    }

    static func reportsSection(_ s: StatusSnapshot) -> String {
        guard let reports = s.latestReports, !reports.isEmpty else { return "" }
        // Beside this page in outbox/: relative links open from the shared folder.
        let links = reports.map { name in
            let target = name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? name
            return #"<li><a href="reports/\#(escape(target))">\#(escape(name))</a></li>"#
        }
        return "<section><h2>Latest reports</h2><ul>\(links.joined())</ul></section>"
    }

    // MARK: helpers

    /// Text for HTML, inside elements and attribute values alike.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    static func percent(_ part: Int, of total: Int) -> String { String(format: "%.2f%%", Double(part) / Double(total) * 100) }
    static func rate(_ r: Double) -> String { String(format: "%.1f%%", r * 100) }

    static func local(_ iso: String, _ zone: TimeZone) -> String {
        guard let date = Timestamp.parse(iso) else { return iso }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = zone
        f.dateFormat = "yyyy-MM-dd HH:mm:ss zzz"
        return f.string(from: date)
    }

    static func hour(_ date: Date, _ zone: TimeZone) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = zone
        f.dateFormat = "HH:00"
        return f.string(from: date)
    }

    static let css = """
        body{font:15px/1.4 system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:12px;color:#1b1f23;background:#fafafa}
        header{display:flex;flex-wrap:wrap;align-items:baseline;gap:12px}h1{margin:0;font-size:22px}.when{color:#555;margin:0}
        section{background:#fff;border:1px solid #ddd;border-radius:8px;padding:10px 14px;margin:12px 0}h2{font-size:17px;margin:4px 0 8px}
        .banner{padding:10px 14px;border-radius:8px;font-weight:600}.stale{background:#fde2e1;color:#8a1c14}.bad{background:#fde2e1}.warn{background:#fff4d6}
        .campaign{border-top:1px solid #eee;padding:6px 0}h3{font-size:15px;margin:4px 0}.state{font-size:12px;padding:1px 6px;border-radius:9px;background:#eee}
        .bar{display:flex;height:14px;border-radius:7px;overflow:hidden;background:#eee}.seg{display:block;height:100%}
        .seg-read{background:#1a7f37}.seg-delivered{background:#56b870}.seg-sent{background:#9fd4ad}.seg-failed{background:#cf222e}
        .seg-skipped{background:#8c959f}.seg-waiting{background:#d0d7de}.f0{fill:#57606a}.f1{fill:#9fd4ad}.f2{fill:#56b870}.f3{fill:#1a7f37}.hour{fill:#3b82f6}
        .counts span,.queue span{margin-right:10px;white-space:nowrap}.rates{color:#444;margin:2px 0}
        table{border-collapse:collapse;width:100%;display:block;overflow-x:auto}td,th{border-bottom:1px solid #eee;padding:4px 8px;text-align:left;vertical-align:top}.num{text-align:right}
        .chart{width:100%;max-width:560px;height:auto}.chart text{font-size:11px;fill:#333}small{color:#666}code{background:#f0f0f0;padding:0 3px}
        @media (max-width:600px){body{font-size:14px;padding:6px}section{padding:8px}}
        """

    /// Marks the page stale when it was written more than two minutes ago (the daemon rewrites it every 30 s).
    static let staleScript = """
        (function(){var t=Date.parse(document.getElementById('written').getAttribute('datetime'));
        if(!isNaN(t)&&Date.now()-t>120000){document.getElementById('state').hidden=false;}})();
        """
}
