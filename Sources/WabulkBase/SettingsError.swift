import Foundation

public enum SettingsError: Error, CustomStringConvertible, Equatable {
    case unreadableFile(path: String, reason: String)
    case unknownKey(key: String, path: String)
    case secretInFile(key: String, path: String)
    case malformed(key: String, source: String, value: String, expected: String)
    case missingSecret(name: String)

    public var description: String {
        switch self {
        case .unreadableFile(let path, let reason): "configuration \(path): \(reason)"
        case .unknownKey(let key, let path): "configuration \(path): unknown key \"\(key)\" (see docs/CONFIGURATION.md)"
        case .secretInFile(let key, let path): "configuration \(path): \"\(key)\" is a secret; set it in the environment, never in a file"
        case .malformed(let key, let source, let value, let expected): "setting \(key) from \(source): \"\(value)\" is not \(expected)"
        case .missingSecret(let name): "missing secret: set \(name) in the environment"
        }
    }
}
