// swift-tools-version: 6.0
// attngen: a code-generating compiler for exact (FlashAttention-style) attention kernels.
import PackageDescription

let package = Package(
    name: "attngen",
    products: [
        .library(name: "AttnGen", targets: ["AttnGen"]),
        .executable(name: "attngen", targets: ["attngen"]),
    ],
    targets: [
        // The DSL, the planner and the emitters. Templates/ (at the package root) ships as a resource.
        .target(
            name: "AttnGen",
            path: "Sources/AttnGen",
            resources: [.copy("../../Templates")]
        ),
        // The thin command-line layer.
        .executableTarget(
            name: "attngen",
            dependencies: ["AttnGen"],
            path: "Sources/attngen"
        ),
        .testTarget(
            name: "AttnGenTests",
            dependencies: ["AttnGen"],
            path: "Tests/AttnGenTests",
            resources: [.copy("Fixtures")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
