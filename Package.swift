// swift-tools-version:5.9
// swiftlic: the Swift core (SwiftLIC), its C ABI (SwiftLICCAPI → libswiftlic.so) and the core's tests.
import PackageDescription

let package = Package(
    name: "swiftlic",
    products: [
        .library(name: "SwiftLIC", targets: ["SwiftLIC"]),
        .library(name: "swiftlic", type: .dynamic, targets: ["SwiftLICCAPI"]),
    ],
    targets: [
        .target(name: "SwiftLIC", path: "Sources/SwiftLIC"),
        .target(name: "SwiftLICCAPI", dependencies: ["SwiftLIC"], path: "Sources/SwiftLICCAPI"),
        .testTarget(name: "SwiftLICTests", dependencies: ["SwiftLIC"], path: "Tests/SwiftLICTests"),
    ]
)
