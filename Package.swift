// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Theano",
    products: [
        .library(name: "Theano", targets: ["Theano"]),
        .executable(name: "theano", targets: ["TheanoCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.0.0"),
    ],
    targets: [
        // OpenBLAS (CBLAS) and LAPACKE, linked from the system.
        .systemLibrary(
            name: "CTheano",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]
        ),
        .target(
            name: "TheanoArray",
            dependencies: ["CTheano", .product(name: "Numerics", package: "swift-numerics")]
        ),
        .target(name: "TheanoGraph", dependencies: ["TheanoArray"]),
        .target(
            name: "TheanoTensor",
            dependencies: ["TheanoGraph", .product(name: "Numerics", package: "swift-numerics")]
        ),
        .target(name: "TheanoCompile", dependencies: ["TheanoTensor"]),
        .target(name: "Theano", dependencies: ["TheanoArray", "TheanoGraph", "TheanoTensor", "TheanoCompile"]),
        .executableTarget(
            name: "TheanoCLI",
            dependencies: ["Theano", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .testTarget(name: "TheanoArrayTests", dependencies: ["TheanoArray"], resources: [.copy("Fixtures")]),
        .testTarget(
            name: "TheanoTests", dependencies: ["Theano"],
            // The generator of Elemwise/Fixtures/ElemwiseFixtures.swift (run by hand, needs NumPy).
            exclude: ["Elemwise/Fixtures/make_elemwise_fixtures.py"]
        ),
    ]
)
