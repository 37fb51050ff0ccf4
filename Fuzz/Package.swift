// swift-tools-version:6.1
// libFuzzer harnesses for every reader of outside input (issue #17). A package of its own so that the
// normal build never links libFuzzer's driver. Build and run with scripts/fuzz.sh.
import PackageDescription

let package = Package(
    name: "wabulk-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "wabulk", path: "..")],
    targets: [
        .executableTarget(name: "wabulk-fuzz", dependencies: [.product(name: "FuzzEntries", package: "wabulk")]),
    ]
)
