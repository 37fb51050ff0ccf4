import Foundation
import WabulkBase

/// What an inbox `.json` file asks for, learned from one parse: a control request (it has "action"), a
/// share-link request (it has "share"), or else a campaign manifest, which its reader validates.
public enum InboxRequest {
    case control(ControlRequest)
    case share(JSONValue)
    case manifest(JSONValue)
    /// Not a JSON object, or too big to be one staff wrote: refused with the reason.
    case unreadable(String)

    /// A manifest is a few hundred bytes and a control file of 10,000 numbers about 200 KB; a bigger
    /// `.json` is an accident or an attack, and is not read into memory.
    public static let maxBytes = 1 << 20

    public static func read(_ file: URL) -> InboxRequest {
        guard let handle = try? FileHandle(forReadingFrom: file) else { return .unreadable("the file could not be read") }
        defer { try? handle.close() }
        guard let data = try? handle.read(upToCount: maxBytes + 1) ?? Data() else { return .unreadable("the file could not be read") }
        if data.count > maxBytes {
            return .unreadable("larger than \(maxBytes / 1024) KiB; a manifest, control or share file is far smaller")
        }
        return read(data)
    }

    /// What already-read bytes ask for.
    public static func read(_ data: Data) -> InboxRequest {
        guard let object = JSONValue.parse(bytes: data), object.isObject else { return .unreadable("not a JSON object") }
        if let control = ControlRequest.read(object: object) { return .control(control) }
        if object["share"] != nil { return .share(object) }
        return .manifest(object)
    }
}
