/// What fills a template's placeholders for one message: header, body and buttons, frozen when the campaign
/// is planned. Campaigns render it, the spool keeps it, CloudAPI writes it as Meta's `components`.
public struct TemplateParameters: Sendable, Equatable {
    /// A text value; `name` is set for a NAMED template's `{{first_name}}` (Meta wants `parameter_name`).
    public struct Text: Sendable, Equatable {
        public var value: String
        public var name: String?
        public init(_ value: String, name: String? = nil) {
            self.value = value
            self.name = name
        }
    }

    public enum MediaKind: String, Sendable, Equatable, CaseIterable {
        case image, video, document
    }

    /// A media header: Meta fetches a `link`, or takes an `id` from an upload. `file` names a file kept in
    /// var/media/ that the dispatcher uploads once and replaces by its id.
    public struct Media: Sendable, Equatable {
        public enum Source: Sendable, Equatable {
            case link(String)
            case id(String)
            case file(String)
        }
        public var kind: MediaKind
        public var source: Source
        /// The name a document is shown with.
        public var filename: String?
        public init(kind: MediaKind, source: Source, filename: String? = nil) {
            self.kind = kind
            self.source = source
            self.filename = filename
        }
    }

    public struct Location: Sendable, Equatable {
        public var latitude: Double
        public var longitude: Double
        public var name: String?
        public var address: String?
        public init(latitude: Double, longitude: Double, name: String? = nil, address: String? = nil) {
            self.latitude = latitude
            self.longitude = longitude
            self.name = name
            self.address = address
        }
    }

    public enum Header: Sendable, Equatable {
        case text([Text])
        case media(Media)
        case location(Location)
    }

    public struct Button: Sendable, Equatable {
        public enum Kind: String, Sendable, Equatable, CaseIterable {
            /// The dynamic end of a URL button's link.
            case url
            /// A coupon code the person copies.
            case copyCode = "copy_code"
            /// What comes back in the webhook when the person taps the button.
            case quickReply = "quick_reply"
        }
        /// The button's position in the template, from 0.
        public var index: Int
        public var kind: Kind
        public var value: String
        public init(index: Int, kind: Kind, value: String) {
            self.index = index
            self.kind = kind
            self.value = value
        }
    }

    public var header: Header?
    public var body: [Text]
    public var buttons: [Button]

    /// The media id a header sends by, if it does.
    public var mediaID: String? {
        guard case .media(let media) = header, case .id(let id) = media.source else { return nil }
        return id
    }

    public init(header: Header? = nil, body: [Text] = [], buttons: [Button] = []) {
        self.header = header
        self.body = body
        self.buttons = buttons
    }

    /// Positional text values only (the shape of every template wabulk sent before NAMED and media
    /// parameters): each URL button's suffix goes to the button at its position.
    public init(header: [String], body: [String], buttons: [String] = []) {
        self.header = header.isEmpty ? nil : .text(header.map { Text($0) })
        self.body = body.map { Text($0) }
        self.buttons = buttons.enumerated().map { Button(index: $0.offset, kind: .url, value: $0.element) }
    }
}
