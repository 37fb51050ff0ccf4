/// CSV cells that are safe to open in Excel: quoted, and a leading = + - @ neutralised so the cell is
/// never run as a formula.
public enum SafeCSV {
    public static func cell(_ text: String) -> String {
        var t = text
        if let first = t.first, "=+-@\t\r".contains(first) { t = "'" + t }
        return "\"" + t.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
