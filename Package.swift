// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "wabulk",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "wabulk", targets: ["wabulk"]),
        // Every reader of outside input behind one call, for the libFuzzer harnesses in Fuzz/.
        .library(name: "FuzzEntries", targets: ["FuzzEntries"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/weichsel/ZIPFoundation.git", from: "0.9.20"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // C libraries from Debian, each wrapped by exactly one Swift file.
        .systemLibrary(name: "CCSV", path: "Sources/CCSV", providers: [.apt(["libcsv-dev"])]),
        .systemLibrary(
            name: "CXlsxWriter",
            path: "Sources/CXlsxWriter",
            pkgConfig: "xlsxwriter",
            providers: [.apt(["libxlsxwriter-dev"])]
        ),
        .systemLibrary(
            name: "CCurl",
            path: "Sources/CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .systemLibrary(name: "CQRencode", path: "Sources/CQRencode", providers: [.apt(["libqrencode-dev"])]),
        .systemLibrary(name: "CZstd", path: "Sources/CZstd", providers: [.apt(["libzstd-dev"])]),
        // libphonenumber is C++; Swift's C++ interop crashes on it, so a tiny C API sits in front.
        .target(
            name: "CPhoneNumber",
            linkerSettings: [
                .linkedLibrary("phonenumber"), .linkedLibrary("protobuf"), .linkedLibrary("pcre2-8"),
                .linkedLibrary("stdc++"),
            ]
        ),

        .target(
            name: "WabulkBase",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The event log's quote finder (SSE2), header-only so Swift inlines it.
        .target(name: "CLineScan"),
        // Names the inbox file being processed from a crash signal handler (C: only async-signal-safe calls).
        .target(name: "CCrashMark"),
        .target(
            name: "EventLog",
            dependencies: [
                "WabulkBase", "CLineScan", "CZstd",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(name: "Curl", dependencies: ["CCurl"]),
        .target(
            name: "Contacts",
            dependencies: [
                "WabulkBase", "CCSV", "CPhoneNumber",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ]
        ),
        .target(
            name: "Spool",
            dependencies: [
                "WabulkBase", .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]
        ),
        .target(
            name: "Campaigns",
            dependencies: [
                "WabulkBase", "Account", "Contacts", "Spool", "EventLog", "CloudAPI", "Templates",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "Templates",
            dependencies: [
                "WabulkBase", "CloudAPI",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(name: "Doctor", dependencies: ["WabulkBase", "CloudAPI", "Curl", "Templates"]),
        .target(
            name: "Account",
            dependencies: [
                "WabulkBase", "CloudAPI", "EventLog",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(name: "ShareLinks", dependencies: ["WabulkBase", "CloudAPI", "Contacts", "CQRencode"]),
        .target(name: "CloudAPI", dependencies: ["WabulkBase", "Curl"]),
        .target(
            name: "Sending",
            dependencies: [
                "WabulkBase", "Spool", "EventLog", "CloudAPI",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "WebhookListener",
            dependencies: [
                "WabulkBase", "EventLog",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "Reports",
            dependencies: [
                "WabulkBase", "EventLog", "CloudAPI", "Curl", "CXlsxWriter",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "Intake",
            dependencies: [
                "WabulkBase", "CCrashMark", "CloudAPI", "Contacts", "Campaigns", "EventLog", "ShareLinks", "Templates",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "Sandbox",
            dependencies: [
                "WabulkBase", "Curl", "WebhookListener", "CloudAPI", .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(name: "FuzzEntries", dependencies: ["Contacts", "Campaigns", "Intake", "ShareLinks", "WebhookListener", "EventLog"]),
        .executableTarget(
            name: "wabulk",
            dependencies: [
                "WabulkBase", "EventLog", "Contacts", "Campaigns", "Spool", "CloudAPI", "Sending",
                "WebhookListener", "Reports", "Intake", "Sandbox", "Templates", "ShareLinks", "Account", "Doctor",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            linkerSettings: [.linkedLibrary("mimalloc")],
            plugins: ["BuildCommit"]
        ),
        .testTarget(
            name: "WabulkTests",
            dependencies: [
                "wabulk", "WabulkBase", "EventLog", "Contacts", "Campaigns", "Spool", "CloudAPI", "Sending",
                "WebhookListener", "Reports", "Intake", "Sandbox", "Curl", "Templates", "ShareLinks", "FuzzEntries", "Account",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .plugin(name: "BuildCommit", capability: .buildTool()),
    ],
    cxxLanguageStandard: .cxx17
)
