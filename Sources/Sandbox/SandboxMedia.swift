import Foundation

/// Media uploaded to the sandbox, as Meta keeps it: an id per upload, checked on every send that names it.
/// With `expiresAfterUses` an id stops working after that many sends, as Meta's do after 30 days.
actor SandboxMedia {
    struct Upload {
        var contentType: String
        var size: Int
        var uses = 0
    }

    /// Meta's types and limits (meta-cloud-api.md, section 14).
    static let limits: [String: Int] = [
        "image/jpeg": 5 << 20, "image/png": 5 << 20, "video/mp4": 16 << 20, "video/3gpp": 16 << 20,
        "application/pdf": 100 << 20, "application/msword": 100 << 20, "application/vnd.ms-excel": 100 << 20,
        "application/vnd.ms-powerpoint": 100 << 20,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document": 100 << 20,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": 100 << 20,
        "application/vnd.openxmlformats-officedocument.presentationml.presentation": 100 << 20,
    ]

    let expiresAfterUses: Int?
    private var uploads: [String: Upload] = [:]
    private(set) var uploadCount = 0

    init(expiresAfterUses: Int?) { self.expiresAfterUses = expiresAfterUses }

    struct Refusal: Error {
        var code: Int
        var details: String
    }

    /// The new media id, or Meta's error code and details.
    func upload(_ form: MultipartForm) -> Result<String, Refusal> {
        guard form.text("messaging_product") == "whatsapp" else {
            return .failure(Refusal(code: 100, details: "Param messaging_product must be whatsapp"))
        }
        guard let file = form.part("file") else { return .failure(Refusal(code: 100, details: "Param file is required")) }
        let type = form.text("type") ?? file.contentType ?? ""
        guard let limit = Self.limits[type] else {
            return .failure(
                Refusal(
                    code: 100,
                    details:
                        "Param file must be a file with one of the following types: \(Self.limits.keys.sorted().joined(separator: ", ")). Received file of type '\(type)'."
                )
            )
        }
        guard file.body.count <= limit else {
            return .failure(Refusal(code: 100, details: "File is too big (\(file.body.count) bytes); the limit for \(type) is \(limit) bytes"))
        }
        uploadCount += 1
        let id = String(1_037_543_291_543_600 + uploadCount)
        uploads[id] = Upload(contentType: type, size: file.body.count)
        return .success(id)
    }

    /// Nil when the id may be sent; else why not (unknown, or expired after its allowed uses).
    func use(_ id: String) -> String? {
        guard var upload = uploads[id] else { return "media id \(id) is not known" }
        if let expiresAfterUses, upload.uses >= expiresAfterUses { return "media id \(id) has expired" }
        upload.uses += 1
        uploads[id] = upload
        return nil
    }
}
