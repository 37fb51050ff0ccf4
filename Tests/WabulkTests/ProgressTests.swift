import Foundation
import Testing

/// Progress on a terminal (issue 24): `wabulk contacts import` of a million rows in a tmux session shows a line
/// that updates (rows, percentage, rate, time left); the same command piped prints none.
@Suite struct ProgressTests {
    @Test func aMillionRowImportShowsProgressOnATerminalAndNoneInAPipe() async throws {
        let dir = TempDir("wabulk-progress")
        let csv = dir.url.appendingPathComponent("big.csv")
        var text = "Name,Phone,Tags\n"
        text.reserveCapacity(24_000_000)
        for i in 0..<1_000_000 { text += "P\(i),+9198\(String(format: "%08d", (i * 7919) % 100_000_000)),t\n" }
        try Data(text.utf8).write(to: csv)
        let homes = ["tty", "pipe"].map { dir.url.appendingPathComponent($0) }
        for home in homes { try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true) }
        let socket = "wabulk-progress-\(UUID().uuidString.prefix(8))"
        let done = dir.url.appendingPathComponent("done")
        let piped = dir.url.appendingPathComponent("piped.txt")
        func tmux(_ arguments: [String]) async throws -> ProcessResult { try await runProcess("/usr/bin/tmux", ["-L", socket] + arguments) }
        defer { _ = try? runProcessBlocking("/usr/bin/tmux", ["-L", socket, "kill-server"], environment: nil, input: nil) }
        let command =
            "WABULK_HOME='\(homes[0].path)' '\(wabulkBinary)' contacts import '\(csv.path)'; "
            + "WABULK_HOME='\(homes[1].path)' '\(wabulkBinary)' contacts import '\(csv.path)' 2>&1 | cat > '\(piped.path)'; touch '\(done.path)'; sleep 60"
        let script = dir.url.appendingPathComponent("run.sh")
        try Data(command.utf8).write(to: script)
        // The tmux server outlives its client and holds open whatever descriptors it inherits (Foundation's
        // Process then waits for it): started from a shell that closes all but the standard three first.
        let started = try await runProcess(
            "/bin/bash",
            [
                "-c",
                #"for fd in /proc/$$/fd/*; do n=${fd##*/}; [ "$n" -gt 2 ] && eval "exec $n>&-" 2>/dev/null; done; "#
                    + "exec /usr/bin/tmux -L \(socket) new-session -d -s p -x 160 -y 12 'sh \(script.path)' </dev/null >/dev/null 2>&1",
            ]
        ).status
        #expect(started == 0)
        var seen = Set<String>()
        let deadline = Date().addingTimeInterval(300)
        while !FileManager.default.fileExists(atPath: done.path), Date() < deadline {
            let pane = try await tmux(["capture-pane", "-p", "-t", "p"]).stdout
            for line in pane.split(separator: "\n") where line.hasPrefix("importing big.csv: ") { seen.insert(String(line)) }
            try await Task.sleep(for: .milliseconds(300))
        }
        #expect(FileManager.default.fileExists(atPath: done.path))
        // Several different states of one line, each with the total, a percentage, a rate and time left.
        #expect(seen.count >= 3, "\(seen)")
        let pattern = #/^importing big\.csv: [0-9,]+ of 1,000,000 rows \([0-9]+%\), [0-9,]+ rows/s(, about [0-9]+ s left)?$/#
        #expect(seen.allSatisfy { $0.trimmingCharacters(in: .whitespaces).wholeMatch(of: pattern) != nil }, "\(seen)")
        let pane = try await tmux(["capture-pane", "-p", "-t", "p"]).stdout
        #expect(pane.contains("big.csv: 1000000 rows: 1000000 new"), "\(pane)")
        // Piped: the summary only.
        let output = try String(contentsOf: piped, encoding: .utf8)
        #expect(output.hasPrefix("big.csv: 1000000 rows: 1000000 new"), "\(output)")
        #expect(!output.contains("rows/s") && !output.contains("\r") && !output.contains("\u{1B}"))
    }
}
