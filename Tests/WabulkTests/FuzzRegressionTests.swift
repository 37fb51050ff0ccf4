import Foundation
import FuzzEntries
import Testing

/// Every input a fuzz run ever crashed on (Fuzz/crashes/TARGET/) and every seed (Fuzz/corpus/TARGET/) goes
/// through its reader again: a fixed crash stays fixed. A trap here ends the test process, which fails the run.
@Suite struct FuzzRegressionTests {
    static let fuzz = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fuzz")

    static func inputs(_ target: FuzzEntry) -> [URL] {
        ["crashes", "corpus"].flatMap { folder -> [URL] in
            let dir = fuzz.appendingPathComponent(folder).appendingPathComponent(target.rawValue)
            return ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).sorted().map { dir.appendingPathComponent($0) }
        }
    }

    @Test(arguments: FuzzEntry.allCases) func everySavedInputIsReadWithoutACrash(_ target: FuzzEntry) throws {
        let files = Self.inputs(target)
        // Each target has seeds: an empty list would mean the folders moved and nothing is replayed.
        #expect(files.count >= 2, "\(target): \(files.count) inputs")
        for file in files {
            let data = try Data(contentsOf: file)
            data.withUnsafeBytes { target.run($0) }
        }
    }
}
