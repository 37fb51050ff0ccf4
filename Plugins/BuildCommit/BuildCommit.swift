import Foundation
import PackagePlugin

/// Writes `BuildCommit.swift` (`let buildCommit = "<short hash>[+changes]"`) before each build of the
/// `wabulk` executable, for `wabulk --version`: the commit a binary was built from. Rewritten only when the
/// commit changes, so an unchanged tree does not rebuild; "unknown" outside a git checkout.
@main struct BuildCommit: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let output = context.pluginWorkDirectoryURL.appending(path: "generated")
        let script = #"""
            mkdir -p "$2"
            commit=$(git -C "$1" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
            if [ "$commit" != unknown ] && ! git -C "$1" diff --quiet HEAD -- Sources Package.swift 2>/dev/null; then commit="$commit+changes"; fi
            printf 'let buildCommit = "%s"\n' "$commit" > "$2/BuildCommit.swift.new"
            if cmp -s "$2/BuildCommit.swift.new" "$2/BuildCommit.swift"; then rm "$2/BuildCommit.swift.new"; else mv "$2/BuildCommit.swift.new" "$2/BuildCommit.swift"; fi
            """#
        return [
            .prebuildCommand(
                displayName: "the commit wabulk is built from",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: ["-c", script, "sh", context.package.directoryURL.path, output.path],
                outputFilesDirectory: output
            )
        ]
    }
}
