import CXlsxWriter
import Foundation

/// The one place libxlsxwriter is called. Constant-memory mode: rows must be written in order, and
/// memory stays flat however many rows a sheet has.
public final class XLSXWorkbook {
    public enum Style: Sendable { case plain, header, percent, integer, dateTime, title, money }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    private let workbook: UnsafeMutablePointer<lxw_workbook>
    private var formats: [Style: UnsafeMutablePointer<lxw_format>] = [:]
    private var closed = false

    public init(path: String) throws {
        var options = lxw_workbook_options(constant_memory: UInt8(LXW_TRUE.rawValue), tmpdir: nil, use_zip64: UInt8(LXW_FALSE.rawValue))
        guard let wb = workbook_new_opt(path, &options) else { throw Failure(description: "cannot create \(path)") }
        workbook = wb
        let header = workbook_add_format(wb)!
        format_set_bold(header)
        format_set_bg_color(header, 0xD9E1F2)
        format_set_border(header, UInt8(LXW_BORDER_THIN.rawValue))
        let percent = workbook_add_format(wb)!
        format_set_num_format(percent, "0.0%")
        let integer = workbook_add_format(wb)!
        format_set_num_format(integer, "#,##0")
        let dateTime = workbook_add_format(wb)!
        format_set_num_format(dateTime, "yyyy-mm-dd hh:mm:ss")
        let title = workbook_add_format(wb)!
        format_set_bold(title)
        format_set_font_size(title, 14)
        let money = workbook_add_format(wb)!
        format_set_num_format(money, "#,##0.0000")
        formats = [.header: header, .percent: percent, .integer: integer, .dateTime: dateTime, .title: title, .money: money]
    }

    deinit { if !closed { workbook_close(workbook) } }

    public func addSheet(_ name: String) -> XLSXSheet {
        XLSXSheet(sheet: workbook_add_worksheet(workbook, name), workbook: self)
    }

    func format(_ style: Style) -> UnsafeMutablePointer<lxw_format>? { formats[style] }

    /// Adds a native Excel chart over ranges of `sheet` and places it at (row, column) of `on`.
    public func insertChart(
        _ kind: ChartKind,
        title: String,
        series: [(name: String, categories: String, values: String)],
        on sheet: XLSXSheet,
        row: Int,
        column: Int
    ) {
        let type: lxw_chart_type
        switch kind {
        case .column: type = LXW_CHART_COLUMN
        case .pie: type = LXW_CHART_PIE
        case .line: type = LXW_CHART_LINE
        case .bar: type = LXW_CHART_BAR
        }
        let chart = workbook_add_chart(workbook, UInt8(type.rawValue))
        for s in series {
            let added = chart_add_series(chart, s.categories, s.values)
            chart_series_set_name(added, s.name)
        }
        chart_title_set_name(chart, title)
        if kind == .pie || series.count == 1 {
            chart_legend_set_position(chart, UInt8(kind == .pie ? LXW_CHART_LEGEND_RIGHT.rawValue : LXW_CHART_LEGEND_NONE.rawValue))
        }
        worksheet_insert_chart(sheet.sheet, lxw_row_t(row), lxw_col_t(column), chart)
    }

    public enum ChartKind: Sendable { case column, pie, line, bar }

    public func close() throws {
        closed = true
        let error = workbook_close(workbook)
        guard error == LXW_NO_ERROR else { throw Failure(description: String(cString: lxw_strerror(error))) }
    }
}

/// One worksheet; cells are written row by row.
public struct XLSXSheet {
    let sheet: UnsafeMutablePointer<lxw_worksheet>
    unowned let workbook: XLSXWorkbook

    public enum Cell: Sendable {
        case text(String)
        case number(Double)
        case integer(Int)
        case percent(Double)
        case money(Double)
        case date(Date)
        case empty
    }

    public func write(row: Int, _ cells: [Cell], style: XLSXWorkbook.Style = .plain) {
        for (column, cell) in cells.enumerated() {
            let r = lxw_row_t(row)
            let c = lxw_col_t(column)
            let custom = style == .plain ? nil : workbook.format(style)
            switch cell {
            case .text(let s):
                // worksheet_write_string never makes a formula, so "=HYPERLINK(…)" stays text.
                worksheet_write_string(sheet, r, c, s, custom)
            case .number(let d): worksheet_write_number(sheet, r, c, d, custom)
            case .integer(let i): worksheet_write_number(sheet, r, c, Double(i), custom ?? workbook.format(.integer))
            case .percent(let p): worksheet_write_number(sheet, r, c, p, workbook.format(.percent))
            case .money(let m): worksheet_write_number(sheet, r, c, m, workbook.format(.money))
            case .date(let d):
                // Excel serial days since 1899-12-30.
                worksheet_write_number(sheet, r, c, d.timeIntervalSince1970 / 86400 + 25569, workbook.format(.dateTime))
            case .empty: break
            }
        }
    }

    public func setColumnWidths(_ widths: [Double]) {
        for (i, w) in widths.enumerated() { worksheet_set_column(sheet, lxw_col_t(i), lxw_col_t(i), w, nil) }
    }

    /// Printed (and converted to PDF) landscape, one page wide, so charts beside the numbers are not cut off.
    public func fitToOnePageWide() {
        worksheet_set_landscape(sheet)
        worksheet_fit_to_pages(sheet, 1, 0)
    }

    public func freezeHeader(row: Int = 1) { worksheet_freeze_panes(sheet, lxw_row_t(row), 0) }

    public func autofilter(lastRow: Int, lastColumn: Int, firstRow: Int = 0) {
        worksheet_autofilter(sheet, lxw_row_t(firstRow), 0, lxw_row_t(max(lastRow, firstRow)), lxw_col_t(lastColumn))
    }
}

/// Cells gathered on one thread to be written on another: texts kept as NUL-terminated bytes, so the writer
/// hands libxlsxwriter pointers without converting any String.
public struct XLSXRowBatch: Sendable {
    enum Kind: UInt8, Sendable { case text, integer, date }
    struct Entry: Sendable {
        var row: Int32
        var column: UInt16
        var kind: Kind
        /// The number (or date serial), or for a text its offset in `bytes`.
        var value: Double
    }

    var bytes: [UInt8] = []
    var entries: [Entry] = []
    public private(set) var rows = 0

    public init() {}

    public mutating func text(_ row: Int, _ column: Int, _ value: String) {
        guard !value.isEmpty else { return }
        let offset = bytes.count
        var value = value
        value.withUTF8 { bytes.append(contentsOf: $0) }
        bytes.append(0)
        entries.append(Entry(row: Int32(row), column: UInt16(column), kind: .text, value: Double(offset)))
    }

    public mutating func integer(_ row: Int, _ column: Int, _ value: Int?) {
        guard let value else { return }
        entries.append(Entry(row: Int32(row), column: UInt16(column), kind: .integer, value: Double(value)))
    }

    /// A date as Excel's serial day number (already shifted to the report's zone).
    public mutating func date(_ row: Int, _ column: Int, serial: Double?) {
        guard let serial else { return }
        entries.append(Entry(row: Int32(row), column: UInt16(column), kind: .date, value: serial))
    }

    public mutating func endRow() { rows += 1 }
}

extension XLSXSheet {
    public func write(_ batch: XLSXRowBatch) {
        let integer = workbook.format(.integer)
        let date = workbook.format(.dateTime)
        batch.bytes.withUnsafeBufferPointer { bytes in
            let base = UnsafeRawPointer(bytes.baseAddress!).assumingMemoryBound(to: CChar.self)
            for e in batch.entries {
                let r = lxw_row_t(e.row)
                let c = lxw_col_t(e.column)
                switch e.kind {
                case .text: worksheet_write_string(sheet, r, c, base + Int(e.value), nil)
                case .integer: worksheet_write_number(sheet, r, c, e.value, integer)
                case .date: worksheet_write_number(sheet, r, c, e.value, date)
                }
            }
        }
    }
}
