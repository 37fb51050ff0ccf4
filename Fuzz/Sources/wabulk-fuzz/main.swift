import FuzzEntries
import Glibc

// One executable for every target: FUZZ_TARGET names the reader (csv, xlsx, manifest, webhook, eventLine);
// the arguments are libFuzzer's.
guard let name = getenv("FUZZ_TARGET").map({ String(cString: $0) }), let target = FuzzEntry(rawValue: name) else {
    print("FUZZ_TARGET must be one of: \(FuzzEntry.allCases.map(\.rawValue).joined(separator: ", "))")
    exit(2)
}
nonisolated(unsafe) let chosen = target

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    chosen.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

// SwiftPM makes this top-level code the entry point (swift-notes.md): hand over to libFuzzer's driver.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzOne))
