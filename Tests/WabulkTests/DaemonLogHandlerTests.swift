import Logging
import Synchronization
import Testing

@testable import WabulkBase

@Suite struct DaemonLogHandlerTests {
    final class Lines: TextOutputStream, @unchecked Sendable {
        let text = Mutex("")
        func write(_ string: String) { text.withLock { $0 += string } }
    }

    @Test func metadataIsWrittenWithTheLineAndExplicitValuesWin() {
        let lines = Lines()
        var logger = Logger(label: "wabulk") { DaemonLogHandler(label: $0, stream: lines) }
        logger[metadataKey: "hb.request.id"] = "r-1"
        logger[metadataKey: "campaign"] = "diwali"
        logger.debug("below the level")
        logger.info("first", metadata: ["campaign": "holi"])
        logger[metadataKey: "hb.request.id"] = nil
        logger.warning("second")
        let written = lines.text.withLock { $0 }.split(separator: "\n")
        #expect(written.count == 2)
        #expect(written[0].hasSuffix(" info wabulk: campaign=holi hb.request.id=r-1 [WabulkTests] first"))
        #expect(written[1].hasSuffix(" warning wabulk: campaign=diwali [WabulkTests] second"))
    }
}
