import ArgumentParser
import Theano

@main
struct TheanoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "theano",
        abstract: "Theano for Swift: symbolic tensor expressions, compiled.",
        subcommands: [Demo.self, BenchCommand.self, GraphCommand.self, CacheCommand.self])
}
