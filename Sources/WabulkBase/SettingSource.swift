import Foundation

/// One setting as `wabulk config` shows it: the value in force and where it came from.
public struct SettingSource: Codable, Sendable, Equatable {
    public enum Origin: String, Codable, Sendable {
        case `default`, file, environment
    }

    public var key: String
    public var environmentName: String
    public var value: String
    public var origin: Origin
    /// `wabulk.json`, the environment variable's name, or `default`.
    public var from: String
    public var documentation: String

    /// Every setting in `SettingKey.all`'s order, after checking them all as `Settings.load` does (the first
    /// malformed one throws).
    public static func all(file: URL, environment: [String: String] = ProcessInfo.processInfo.environment) throws(SettingsError) -> [SettingSource] {
        _ = try Settings.load(file: file, environment: environment)
        let inFile = try Settings.fileValues(file)
        return SettingKey.all.map { key in
            if let text = environment[key.environmentName] {
                return SettingSource(key, text, .environment, from: key.environmentName)
            }
            if let text = inFile[key.fileKey] { return SettingSource(key, text, .file, from: file.lastPathComponent) }
            return SettingSource(key, key.defaultText.replacingOccurrences(of: "`", with: ""), .default, from: "default")
        }
    }

    init(_ key: SettingKey, _ value: String, _ origin: Origin, from: String) {
        self.key = key.fileKey
        environmentName = key.environmentName
        self.value = value
        self.origin = origin
        self.from = from
        documentation = key.documentation
    }
}

/// A secret as `wabulk config` shows it: set or not, never its value.
public struct SecretSource: Codable, Sendable, Equatable {
    public var name: String
    public var set: Bool

    public static func all(environment: [String: String] = ProcessInfo.processInfo.environment) -> [SecretSource] {
        Credentials.names.map { SecretSource(name: $0, set: !(environment[$0] ?? "").isEmpty) }
    }
}

extension SettingKey {
    /// docs/CONFIGURATION.md's table of settings, made from `all` (`wabulk config --markdown`; a test checks the
    /// document holds it).
    public static var markdownTable: String {
        (["| key in wabulk.json | environment | default | meaning |", "| --- | --- | --- | --- |"]
            + all.map { "| `\($0.fileKey)` | `\($0.environmentName)` | \($0.defaultText) | \($0.documentation) |" })
            .joined(separator: "\n")
    }
}
