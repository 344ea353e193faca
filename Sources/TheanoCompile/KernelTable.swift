import Synchronization
import TheanoGraph

/// The kernels of a program, one entry per instruction, replaced all at once when a
/// ``KernelUpgrade`` completes (generated C compiled in the background). A call reads the
/// table once, at its start, so it runs every node on one generation of kernels.
final class KernelTable: Sendable {
    struct Entry: Sendable {
        let kernel: any Kernel
        /// Whether `kernel` is an implementation of its own (``Mode/debug`` compares it with
        /// the reference); false when it runs the reference `perform`.
        let isFast: Bool
        /// Whether `kernel` takes device arrays (``Kernel/acceptsDeviceArrays``).
        let onDevice: Bool
        /// What the report says about the node.
        let choice: KernelChoice

        init(_ choice: KernelChoice) {
            self.kernel = choice.kernel ?? ReferenceKernel()
            self.isFast = choice.kernel != nil
            self.onDevice = kernel.acceptsDeviceArrays
            self.choice = choice
        }
    }

    /// The entries, and how many times an upgrade replaced some of them (the generation
    /// number a plan made on one generation compares).
    private let table: Mutex<(entries: [Entry], number: Int)>

    init(_ choices: [KernelChoice]) {
        table = Mutex((choices.map(Entry.init), 0))
    }

    /// The kernels for one call.
    func current() -> [Entry] { table.withLock { $0.entries } }

    /// The kernels for one call with their generation number, which changes whenever an
    /// upgrade replaces entries.
    func currentGeneration() -> (entries: [Entry], number: Int) { table.withLock { $0 } }

    /// Subscribes to the upgrades among `choices`: when one completes, the instructions it
    /// covers switch to its final choices (a final `.missing` keeps the first kernel and adds
    /// the reason to the report).
    func follow(_ choices: [KernelChoice]) -> [KernelUpgrade] {
        var byUpgrade: [ObjectIdentifier: (KernelUpgrade, [(index: Int, key: Int)])] = [:]
        for (index, choice) in choices.enumerated() {
            guard let (upgrade, key) = choice.upgrade else { continue }
            byUpgrade[ObjectIdentifier(upgrade), default: (upgrade, [])].1.append((index, key))
        }
        for (upgrade, members) in byUpgrade.values {
            upgrade.onComplete { [weak self] finals in
                self?.table.withLock { table in
                    table.number += 1
                    for (index, key) in members {
                        guard let final = finals[key] else { continue }
                        if final.kind == .missing {
                            let first = table.entries[index].choice
                            table.entries[index] = Entry(KernelChoice.noted(first, final.note))
                        } else {
                            table.entries[index] = Entry(final)
                        }
                    }
                }
            }
        }
        return byUpgrade.values.map(\.0)
    }
}

extension KernelChoice {
    /// `choice` with `note` as its note and no pending upgrade.
    static func noted(_ choice: KernelChoice, _ note: String?) -> KernelChoice {
        var c = choice
        c.upgrade = nil
        c.note = note
        return c
    }
}
