import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension HomeLayout {
    public enum PrivacyError: Error, Equatable, CustomStringConvertible {
        case writableByOthers(path: String, mode: String)

        public var description: String {
            switch self {
            case .writableByOthers(let path, let mode):
                "\(path) can be written by others (mode \(mode)): anyone who can change it can redirect sending and the token; run `chmod go-w \(path)` (share only inbox/ and outbox/)"
            }
        }
    }

    /// `wabulk.json` and `var/` are the operator's: settings there can point the bearer token at another
    /// server, and `var/` holds the queue and the log. The daemon refuses to start while group or others can
    /// write either; `var/` is created private (0700).
    public func checkPrivate() throws(PrivacyError) {
        _ = chmodIfCreatedByUs(state)
        for path in [configurationFile.path, state.path] {
            var info = stat()
            guard lstat(path, &info) == 0 else { continue }   // no wabulk.json: nothing to protect
            if info.st_mode & (S_IWGRP | S_IWOTH) != 0 {
                throw .writableByOthers(path: path, mode: String(info.st_mode & 0o7777, radix: 8))
            }
        }
    }

    /// A `var/` this process just made gets 0700; one the operator set up is left as they chose (and checked).
    private func chmodIfCreatedByUs(_ dir: URL) -> Bool {
        var info = stat()
        guard lstat(dir.path, &info) == 0, info.st_uid == getuid(), info.st_mode & 0o777 == 0o755 else { return false }
        return chmod(dir.path, 0o700) == 0
    }
}
