import Foundation
import WabulkBase

extension MessageLedger {
    struct Slot {
        /// Seconds since 2000-01-01 (0: never): the first event of any kind, then each status column.
        var first: UInt32 = 0, sent: UInt32 = 0, delivered: UInt32 = 0, read: UInt32 = 0, failed: UInt32 = 0
        /// Two 48-bit TextRefs: low 32 bits each, then both high 16-bit halves in one word.
        var identityLow: UInt32 = .max, wamidLow: UInt32 = .max, refHighs: UInt32 = .max
        /// The error, reason and price, as an entry of `outcomes`.
        var outcome: UInt32 = 0
        var campaign: UInt16 = 0
        var status: UInt8 = 0
        var attempts: UInt8 = 0

        /// The first line that carried the phone or the name (planning's queued line): both are read from it.
        var identityRef: TextRef {
            get { TextRef(UInt64(refHighs & 0xFFFF) << 32 | UInt64(identityLow)) }
            set {
                identityLow = UInt32(truncatingIfNeeded: newValue.value)
                refHighs = refHighs & 0xFFFF_0000 | UInt32(newValue.value >> 32 & 0xFFFF)
            }
        }
        /// The first line that carried Meta's message id.
        var wamidRef: TextRef {
            get { TextRef(UInt64(refHighs >> 16) << 32 | UInt64(wamidLow)) }
            set {
                wamidLow = UInt32(truncatingIfNeeded: newValue.value)
                refHighs = refHighs & 0xFFFF | UInt32(newValue.value >> 32 & 0xFFFF) << 16
            }
        }
        var last: UInt32 { max(first, sent, delivered, read, failed) }
    }

    /// Where a text sits, in 48 bits: a log line (file index in 12 bits, byte offset in 35) or a line of the
    /// in-memory arena (top bit set).
    struct TextRef: Equatable {
        let value: UInt64
        init(_ value: UInt64) { self.value = value }
        static let none = TextRef(0xFFFF_FFFF_FFFF)
        static let arenaBit: UInt64 = 1 << 47
        static let offsetBits: UInt64 = 35
        static func file(_ index: Int, offset: UInt64) -> TextRef {
            // Beyond 4,095 day files or 32 GB in one file, the text is simply not kept (never in practice).
            guard index < 4095, offset < 1 << offsetBits else { return .none }
            return TextRef(UInt64(index) << offsetBits | offset)
        }
        static func arena(_ offset: Int) -> TextRef { offset < 1 << 47 - 1 ? TextRef(arenaBit | UInt64(offset)) : .none }
        var isArena: Bool { value & Self.arenaBit != 0 && self != .none }
        var fileIndex: Int { Int(value >> Self.offsetBits) }
        var offset: UInt64 { isArena ? value & (Self.arenaBit - 1) : value & (1 << Self.offsetBits - 1) }
    }
}
