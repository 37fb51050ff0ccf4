/// A credential from the environment. It prints as `<redacted>` so string interpolation into a log,
/// receipt or report can never leak it; only `reveal()` hands the value to the one place that needs it.
public struct Secret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    private let value: String
    public init(_ value: String) { self.value = value }
    public func reveal() -> String { value }
    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
}
