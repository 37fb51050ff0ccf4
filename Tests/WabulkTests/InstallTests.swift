import Foundation
import Testing

/// scripts/install.sh (issue 24) into a staging root: the files, their modes, the unit as systemd reads it,
/// completions bash loads, the man page man renders; run twice it keeps the operator's secrets; uninstalled,
/// the data stays.
@Suite struct InstallTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func mode(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    static func install(_ stage: URL, _ extra: [String] = []) async throws -> ProcessResult {
        try await runProcess(
            "/bin/bash",
            [Self.root.appendingPathComponent("scripts/install.sh").path, "--root", stage.path, "--binary", wabulkBinary] + extra
        )
    }

    @Test func installIntoAStagingRoot() async throws {
        let dir = TempDir("wabulk-install")
        let stage = dir.url.appendingPathComponent("root")
        let first = try await Self.install(stage)
        #expect(first.status == 0, "\(first.stderr)")
        let p = { (path: String) in stage.path + path }
        let expected: [(String, Int)] = [
            ("/usr/local/bin/wabulk", 0o755),
            ("/usr/local/share/bash-completion/completions/wabulk", 0o644),
            ("/usr/local/share/zsh/site-functions/_wabulk", 0o644),
            ("/usr/local/share/fish/vendor_completions.d/wabulk.fish", 0o644),
            ("/usr/local/share/man/man1/wabulk.1", 0o644),
            ("/etc/systemd/system/wabulk.service", 0o644),
            ("/etc/wabulk/secrets.env", 0o600),
            ("/srv/wabulk", 0o750),
            ("/srv/wabulk/inbox", 0o2770),
            ("/srv/wabulk/outbox", 0o2770),
            ("/srv/wabulk/var", 0o700),
            ("/srv/wabulk/wabulk.json", 0o640),
        ]
        for (path, mode) in expected { #expect(Self.mode(p(path)) == mode, "\(path): \(String(Self.mode(p(path)), radix: 8))") }

        // The unit: the installed paths, the hardening, and nothing systemd does not know.
        let unit = try String(contentsOfFile: p("/etc/systemd/system/wabulk.service"), encoding: .utf8)
        for line in [
            "ExecStart=/usr/local/bin/wabulk run --home /srv/wabulk", "User=wabulk", "ReadWritePaths=/srv/wabulk", "NoNewPrivileges=yes",
            "ProtectSystem=strict", "PrivateTmp=yes", "ProtectHome=yes", "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
            "LimitNOFILE=65536", "EnvironmentFile=/etc/wabulk/secrets.env",
        ] {
            #expect(unit.split(separator: "\n").contains(Substring(line)), "\(line)")
        }
        #expect(!unit.contains("@"))
        // Left out on purpose: PCRE2's JIT (libphonenumber's patterns) needs writable executable memory.
        #expect(!unit.split(separator: "\n").contains { $0.hasPrefix("MemoryDenyWriteExecute=") })
        // systemd-analyze checks the command exists: the staged binary stands in for the installed one.
        let check = dir.url.appendingPathComponent("wabulk.service")
        try Data(unit.replacingOccurrences(of: "=/usr/local/bin/wabulk", with: "=" + p("/usr/local/bin/wabulk")).utf8).write(to: check)
        let verify = try await runProcess("/usr/bin/systemd-analyze", ["verify", "--man=no", check.path])
        #expect(verify.status == 0 && verify.stderr.isEmpty, "\(verify.stderr)")

        // Completions load in bash; the man page renders.
        let bash = try await runProcess(
            "/bin/bash",
            ["-c", "source '\(p("/usr/local/share/bash-completion/completions/wabulk"))' && complete -p wabulk"]
        )
        #expect(
            bash.status == 0 && bash.stdout.hasPrefix("complete ") && bash.stdout.hasSuffix(" -F _wabulk wabulk\n"),
            "\(bash.stdout) \(bash.stderr)"
        )
        let man = try await runProcess(
            "/usr/bin/man",
            ["-l", p("/usr/local/share/man/man1/wabulk.1")],
            environment: ["MANWIDTH": "100", "PATH": "/usr/bin:/bin"]
        )
        #expect(man.status == 0)
        for words in ["WABULK(1)", "wabulk run", "wabulk config check", "--home <home>"] { #expect(man.stdout.contains(words), "\(words)") }

        // Again: the operator's secrets are kept. Uninstalled: the programs go, the data stays.
        try Data("WHATSAPP_TOKEN=kept\n".utf8).write(to: URL(fileURLWithPath: p("/etc/wabulk/secrets.env")))
        #expect(try await Self.install(stage).status == 0)
        #expect(try String(contentsOfFile: p("/etc/wabulk/secrets.env"), encoding: .utf8) == "WHATSAPP_TOKEN=kept\n")
        #expect(Self.mode(p("/etc/wabulk/secrets.env")) == 0o600)
        #expect(try await Self.install(stage, ["--uninstall"]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: p("/usr/local/bin/wabulk")))
        #expect(!FileManager.default.fileExists(atPath: p("/etc/systemd/system/wabulk.service")))
        #expect(FileManager.default.fileExists(atPath: p("/srv/wabulk/var")) && FileManager.default.fileExists(atPath: p("/etc/wabulk/secrets.env")))
    }
}

/// The README's first command installs nothing only the tests use (issue 24): apt's simulation from an empty
/// package database of what scripts/setup.sh installs holds none of setup-tests.sh's packages; a setup.sh that
/// listed one is caught.
@Suite struct SetupSplitTests {
    @Test func theDemosSetupInstallsNoTestOnlyPackage() async throws {
        guard FileManager.default.fileExists(atPath: "/usr/bin/apt-get") else { return }
        let scripts = InstallTests.root.appendingPathComponent("scripts")
        let clean = try await runProcess("/bin/bash", [scripts.appendingPathComponent("check-setup-split.sh").path])
        #expect(clean.status == 0, "\(clean.stderr)")
        #expect(clean.stdout.contains("none of: zbar-tools zstd python3 python3-pip systemd man-db tmux chromium"), "\(clean.stdout)")
        // The same check over a setup.sh that also installs tmux.
        let dir = TempDir("wabulk-split")
        let copy = dir.url.appendingPathComponent("scripts")
        try FileManager.default.createDirectory(at: copy, withIntermediateDirectories: true)
        for name in ["check-setup-split.sh", "setup-tests.sh", "demo.sh", "setup.sh"] {
            var text = try String(contentsOf: scripts.appendingPathComponent(name), encoding: .utf8)
            if name == "setup.sh" { text = text.replacingOccurrences(of: " curl \"$@\")", with: " curl tmux \"$@\")") }
            try Data(text.utf8).write(to: copy.appendingPathComponent(name))
        }
        let leaky = try await runProcess("/bin/bash", [copy.appendingPathComponent("check-setup-split.sh").path])
        #expect(leaky.status == 1)
        #expect(leaky.stderr == "check-setup-split: the demo's setup installs test-only tmux\n", "\(leaky.stderr)")
    }
}
