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
        @Option(help: """
            The cache folder (default: $THEANO_CACHE_DIR, $XDG_CACHE_HOME/theano-swift or ~/.cache/theano-swift); \
            a folder of other files holds the cache in its subfolder theano-kernels/.
            """)
        var dir: String?

        var cache: KernelCache {
            KernelCache(directory: dir.map { URL(fileURLWithPath: $0) } ?? KernelCache.defaultDirectory)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the cached kernels, newest first.")
        @OptionGroup var location: Location

        func run() throws {
            let cache = location.cache
            guard let folder = try cache.existingFolder() else {
                print("\(cache.directory.path): no kernel cache yet")
                return
            }
            let entries = cache.entries()
            print("\(folder.path): \(entries.count) entr\(entries.count == 1 ? "y" : "ies")")
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

        func run() throws {
            _ = try location.cache.existingFolder()  // says so when the folder is not a cache
            let entries = location.cache.entries()
            print("\(entries.count) entries, \(formatBytes(entries.reduce(0) { $0 + $1.bytes }))")
        }
    }

    struct Clear: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete every cached kernel.",
            discussion: """
                Deletes only the cache's own files (<hex key>.so, .sum, .lock and temporary \
                files) in a folder marked with .theano-kernel-cache; refuses a folder that is not \
                a kernel cache. Entries being compiled right now are left.
                """)
        @OptionGroup var location: Location

        func run() throws {
            let cache = location.cache
            let result = try cache.clearEntries()
            guard let folder = result.folder else {
                print("removed 0 files: there is no kernel cache at \(cache.directory.path)")
                return
            }
            let busy = result.busy == 0 ? "" : "; left \(result.busy) entr\(result.busy == 1 ? "y" : "ies") being compiled"
            print("removed \(result.removed) file\(result.removed == 1 ? "" : "s") from \(folder.path)\(busy)")
        }
    }
}

func formatBytes(_ n: Int) -> String {
    if n >= 1 << 20 { return String(format: "%.1f MiB", Double(n) / Double(1 << 20)) }
    if n >= 1 << 10 { return String(format: "%.1f KiB", Double(n) / Double(1 << 10)) }
    return "\(n) B"
}
