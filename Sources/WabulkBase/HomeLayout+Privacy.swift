import Foundation

#if canImport(Glibc)
import Glibc
#endif

extension HomeLayout {
    public enum PrivacyError: Error, Equatable, CustomStringConvertible {
        case writableByOthers(path: String, mode: String)
        case sharedFolderHoldsPrivateFiles(setting: String, path: String)
        case sharedFolderOnAnotherFileSystem(setting: String, path: String)

        public var description: String {
            switch self {
            case .writableByOthers(let path, let mode):
                "\(path) can be written by others (mode \(mode)): anyone who can change it can redirect sending and the token; run `chmod go-w \(path)` (share only inbox/ and outbox/)"
            case .sharedFolderOnAnotherFileSystem(let setting, let path):
                "\(setting) \(path) is on another file system than var/: files move between them by rename, which is atomic only within one; put the shared folder on the home's disk (share that folder, or bind-mount it)"
            case .sharedFolderHoldsPrivateFiles(let setting, let path):
                "\(setting) \(path) is the home or inside var/: staff who can write it could change wabulk.json or the queue; choose a folder of its own"
            }
        }
    }

    /// `wabulk.json` and `var/` are the operator's: settings there can point the bearer token at another
    /// server, and `var/` holds the queue and the log. The daemon refuses to start while group or others can
    /// write either or the home holding them; `var/` is created private (0700). The shared folders must be
    /// folders of their own (not the home, not in var/) on var/'s file system (files move by rename).
    public func checkPrivate() throws(PrivacyError) {
        for (setting, shared) in [("inboxDir", inbox), ("outboxDir", outbox)] {
            let path = shared.resolvingSymlinksInPath().path
            let home = root.resolvingSymlinksInPath().path
            let private_ = state.resolvingSymlinksInPath().path
            if path == home || path == private_ || path.hasPrefix(private_ + "/") || home.hasPrefix(path + "/") {
                throw .sharedFolderHoldsPrivateFiles(setting: setting, path: shared.path)
            }
            var here = stat()
            var there = stat()
            if stat(state.path, &here) == 0, stat(shared.path, &there) == 0, here.st_dev != there.st_dev {
                throw .sharedFolderOnAnotherFileSystem(setting: setting, path: shared.path)
            }
        }
        _ = chmodIfCreatedByUs(state)
        // The home too: whoever can write it can swap wabulk.json or var/ for their own.
        for path in [root.path, configurationFile.path, state.path] {
            var info = stat()
            guard lstat(path, &info) == 0 else { continue }  // no wabulk.json: nothing to protect
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
