import ArgumentParser
import Foundation
import Theano

/// `theano cache`: lists, sizes and clears the compiled-kernel cache.
struct CacheCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache",
        abstract: "List, size or clear the cache of compiled C kernels.",
        subcommands: [List.self, Size.self, Clear.self],
        defaultSubcommand: List.self)

    struct Location: ParsableArguments {
        @Option(help: "The cache folder (default: $THEANO_CACHE_DIR, $XDG_CACHE_HOME/theano-swift or ~/.cache/theano-swift).")
        var dir: String?

        var cache: KernelCache {
            KernelCache(directory: dir.map { URL(fileURLWithPath: $0) } ?? KernelCache.defaultDirectory)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the cached kernels, newest first.")
        @OptionGroup var location: Location

        func run() {
            let cache = location.cache
            let entries = cache.entries()
            print("\(cache.directory.path): \(entries.count) entr\(entries.count == 1 ? "y" : "ies")")
            // Entries built on another CPU or by another compiler may sit here; they are never loaded.
            print("CPU in new keys: \(cache.cpu.summary)")
            if let compiler = CCompiler.find() { print("compiler in new keys: \(compiler.path), \(compiler.identity)") }
            for e in entries {
                print("\(e.name)  \(formatBytes(e.bytes))  \(e.modified)")
            }
        }
    }

    struct Size: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the number of entries and their total size.")
        @OptionGroup var location: Location

        func run() {
            let entries = location.cache.entries()
            print("\(entries.count) entries, \(formatBytes(entries.reduce(0) { $0 + $1.bytes }))")
        }
    }

    struct Clear: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete every cached kernel.")
        @OptionGroup var location: Location

        func run() throws {
            let removed = try location.cache.clear()
            print("removed \(removed) file\(removed == 1 ? "" : "s") from \(location.cache.directory.path)")
        }
    }
}

func formatBytes(_ n: Int) -> String {
    if n >= 1 << 20 { return String(format: "%.1f MiB", Double(n) / Double(1 << 20)) }
    if n >= 1 << 10 { return String(format: "%.1f KiB", Double(n) / Double(1 << 10)) }
    return "\(n) B"
}
