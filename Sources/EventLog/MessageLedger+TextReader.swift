import Foundation
import WabulkBase

extension MessageLedger {
    /// Reads texts back from the lines the slots point at.
    final class TextReader {
        private let files: [URL]
        private let arena: [UInt8]
        private var windows: [Int: (window: LineWindow, used: Int)] = [:]
        private var uses = 0
        /// Windows open at once: a report over a year of days would otherwise hold two per day.
        static let openWindows = 16

        init(_ ledger: MessageLedger) {
            files = ledger.files
            arena = ledger.arena
        }

        func text(_ field: KeyPath<EventFields, EventFields.Text?>, at ref: TextRef) -> String? {
            line(at: ref, window: field == \EventFields.wamid ? 1 : 0) { line in Self.field(field, in: line) } ?? nil
        }

        /// The phone and the name, from one parse of their line.
        func identity(at ref: TextRef) -> (phone: String?, name: String?)? {
            line(at: ref, window: 0) { line in
                guard let f = EventFields.parse(line) else { return (nil, nil) }
                return (f.phone.map { EventFields.string($0, in: line) }, f.name.map { EventFields.string($0, in: line) })
            }
        }

        private func line<T>(at ref: TextRef, window kind: Int, _ body: (UnsafeRawBufferPointer) -> T) -> T? {
            if ref.isArena {
                let offset = Int(ref.offset)
                return arena.withUnsafeBytes { all in
                    let rest = UnsafeRawBufferPointer(rebasing: all[offset...])
                    let end = rest.firstIndex(of: 0x0A) ?? rest.count
                    return body(UnsafeRawBufferPointer(rebasing: rest[0..<end]))
                }
            }
            let file = ref.fileIndex
            guard file < files.count else { return nil }
            // A window per file and kind: names come from planning's lines and message ids from the
            // dispatcher's, two far-apart runs of one file that a shared window would refill on every row.
            let key = file * 2 + kind
            uses += 1
            let window: LineWindow
            if let open = windows[key] {
                window = open.window
            } else {
                guard let opened = LineWindow(files[file]) else { return nil }
                if windows.count >= Self.openWindows, let oldest = windows.min(by: { $0.value.used < $1.value.used })?.key {
                    windows[oldest] = nil
                }
                window = opened
            }
            windows[key] = (window, uses)
            return window.line(at: ref.offset).map(body)
        }

        static func field(_ field: KeyPath<EventFields, EventFields.Text?>, in line: UnsafeRawBufferPointer) -> String? {
            guard let f = EventFields.parse(line), let text = f[keyPath: field] else { return nil }
            return EventFields.string(text, in: line)
        }
    }
}
