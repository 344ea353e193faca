// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Theano",
    products: [
        .library(name: "Theano", targets: ["Theano"]),
        .library(name: "TheanoNN", targets: ["TheanoNN"]),
        .library(name: "TheanoCUDA", targets: ["TheanoCUDA"]),
        .executable(name: "theano", targets: ["TheanoCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        // OpenBLAS (CBLAS) and LAPACKE, linked from the system.
        .systemLibrary(
            name: "CTheano",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]
        ),
        // zlib, linked from the system (Debian: zlib1g-dev), for .npz archives.
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        // oneDNN (C API, 2.x), linked from the system (Debian: libdnnl-dev): float32 GEMM,
        // convolution, pooling and batch normalisation primitives.
        .systemLibrary(name: "CDNNL", providers: [.apt(["libdnnl-dev"])]),
        .target(
            name: "TheanoArray",
            dependencies: [
                "CTheano",
                "CDNNL",
                .product(name: "Numerics", package: "swift-numerics"),
                "CZlib",
            ]
        ),
        .target(name: "TheanoGraph", dependencies: ["TheanoArray"]),
        .target(
            name: "TheanoTensor",
            dependencies: ["TheanoGraph", .product(name: "Numerics", package: "swift-numerics")]
        ),
        // The runtime support of generated C kernels: calling convention and thread pool.
        .target(name: "CTheanoRuntime"),
        .target(
            name: "TheanoCompile",
            dependencies: ["TheanoTensor", "CTheanoRuntime", "CDNNL", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(name: "Theano", dependencies: ["TheanoArray", "TheanoGraph", "TheanoTensor", "TheanoCompile", "TheanoCUDA"]),
        // The CUDA backend: NVIDIA's libraries loaded at run time (nothing CUDA is linked).
        .target(name: "TheanoCUDA", dependencies: ["TheanoArray", "TheanoTensor", "TheanoCompile"]),
        .target(name: "TheanoNN", dependencies: ["Theano"], resources: [.copy("Resources")]),
        .executableTarget(
            name: "TheanoCLI",
            dependencies: ["Theano", "TheanoNN", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .testTarget(name: "TheanoArrayTests", dependencies: ["TheanoArray"], resources: [.copy("Fixtures")]),
        .testTarget(name: "TheanoTests", dependencies: ["Theano", "TheanoNN", "TheanoCUDA"]),
    ]
)
