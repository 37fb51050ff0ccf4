import ArgumentParser
import Contacts
import Foundation

/// The running wabulk binary, to start normalizer workers from.
enum SelfExecutable {
    static var url: URL { URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath() }
}

struct NormalizeWorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "normalize-worker",
        abstract: "Internal: a phone-number normalizer process for imports.",
        shouldDisplay: false
    )
    @Option var country: String = "91"
    func run() throws { try NormalizerWorkers.serve(defaultCountry: country) }
}
