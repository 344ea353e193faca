import Foundation
import Theano

/// Layers applied one after another, with their parameters named `<layer>.<parameter>`
/// (layer names made unique by numbering: `conv2d`, `conv2d_2`, ...).
///
/// ```swift
/// let model = try Sequential([
///     Reshape([1, 8, 8]),
///     Conv2D(1, 16, kernel: [3, 3], padding: .same, activation: .relu),
///     MaxPool2D(),
///     Flatten(),
///     Dense(16 * 4 * 4, 10),
/// ])
/// print(try model.summary(inputShape: [64]))
/// ```
public final class Sequential {
    public let layers: [any Layer]
    /// Each layer's unique name, in order.
    public let names: [String]

    public init(_ layers: [any Layer]) throws {
        guard !layers.isEmpty else { throw TheanoError.invalidArgument("Sequential: needs at least one layer") }
        self.layers = layers
        var seen: [String: Int] = [:]
        names = layers.map { layer in
            let n = (seen[layer.name] ?? 0) + 1
            seen[layer.name] = n
            return n == 1 ? layer.name : "\(layer.name)_\(n)"
        }
    }

    /// Every trainable parameter, named `<layer>.<parameter>`, in layer order.
    public var parameters: [(name: String, value: Shared)] {
        zip(names, layers).flatMap { name, layer in layer.parameters.map { ("\(name).\($0.name)", $0.value) } }
    }

    /// Every saved value: the parameters, then the layers' state (running statistics).
    public var savedValues: [(name: String, value: Shared)] {
        parameters + zip(names, layers).flatMap { name, layer in layer.state.map { ("\(name).\($0.name)", $0.value) } }
    }

    /// The model's output for `x` in the graph for `phase`, and the state updates the training
    /// step must apply.
    public func forward(_ x: Tensor, phase: Phase) throws -> (output: Tensor, updates: [Shared: Tensor]) {
        var context = ForwardContext(phase: phase)
        var y = x
        for layer in layers { y = try layer.forward(y, &context) }
        return (y, context.updates)
    }

    /// The inference output for `x`.
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try forward(x, phase: .inference).output
    }

    /// A table of each layer's output shape and parameter count for inputs of shape
    /// `[batch] + inputShape`, with the total.
    public func summary(inputShape: [Int], dtype: DType = .float32) throws -> String {
        var context = ForwardContext(phase: .inference)
        var y = Tensor.variable("x", dtype, shape: [nil] + inputShape.map { Optional($0) })
        var rows: [(String, String, String)] = [("layer", "output shape", "parameters")]
        rows.append(("input", formatStaticShape(y.staticShape), "0"))
        var total = 0
        for (name, layer) in zip(names, layers) {
            y = try layer.forward(y, &context)
            let count = layer.parameters.reduce(0) { $0 + $1.value.value.count }
            total += count
            rows.append(("\(name) (\(type(of: layer)))", formatStaticShape(y.staticShape), "\(count)"))
        }
        let widths = (0..<3).map { c in rows.map { [$0.0, $0.1, $0.2][c].count }.max() ?? 0 }
        func line(_ r: (String, String, String)) -> String {
            r.0.padding(toLength: widths[0], withPad: " ", startingAt: 0) + "  "
                + r.1.padding(toLength: widths[1], withPad: " ", startingAt: 0) + "  "
                + String(repeating: " ", count: widths[2] - r.2.count) + r.2
        }
        let rule = String(repeating: "-", count: widths.reduce(4, +))
        var out = [line(rows[0]), rule] + rows.dropFirst().map(line)
        out += [rule, "total parameters: \(total)"]
        return out.joined(separator: "\n")
    }

    /// Writes every saved value (``savedValues``) to an `.npz` file, by name.
    public func save(to url: URL) throws {
        try NDArray.saveNPZ(savedValues.map { ($0.name, $0.value.value) }, to: url)
    }

    /// Reads every saved value from an `.npz` file written by ``save(to:)``. Nothing changes
    /// unless every entry is present with the right shape and dtype.
    /// - Throws: naming the first missing or mis-shaped entry.
    public func load(from url: URL) throws {
        let arrays = try NDArray.loadNPZ(from: url)
        var checked: [(Shared, NDArray)] = []
        for (name, shared) in savedValues {
            guard let array = arrays[name] else {
                throw TheanoError.invalidArgument("Sequential.load: \(url.lastPathComponent) has no entry '\(name)' (it has: \(arrays.keys.sorted().joined(separator: ", ")))")
            }
            let expected = shared.value
            guard array.shape == expected.shape else {
                throw TheanoError.shapeMismatch("Sequential.load: entry '\(name)' has shape \(formatShape(array.shape)), the model expects \(formatShape(expected.shape))")
            }
            guard array.dtype == expected.dtype else {
                throw TheanoError.typeMismatch("Sequential.load: entry '\(name)' is \(array.dtype), the model expects \(expected.dtype)")
            }
            checked.append((shared, array))
        }
        for (shared, array) in checked { try shared.setValue(array) }
    }
}
