import TheanoArray
import TheanoGraph

/// Symbolic shapes for every variable of a ``FunctionGraph``, from each op's `inferShape`.
///
/// `shape(of: x)` is one int64 scalar variable per axis of `x`: a constant where the static
/// size is known, else an expression over the shapes of the graph's inputs, built from the
/// `inferShape` of every node on the way, so asking for `x.shape` never requires computing `x`.
/// Shapes are computed lazily and cached; any change to the graph clears the cache (shapes
/// stay valid, but cached expressions may mention replaced variables).
public final class ShapeFeature: GraphFeature {
    private var cache: [Variable: [Variable]] = [:]

    public init() {}

    public func onChangeInput(_ graph: FunctionGraph, client: FunctionGraph.Client, old: Variable, new: Variable, reason: String) {
        cache.removeAll(keepingCapacity: true)
    }

    /// The symbolic size of each axis of `variable`.
    public func shape(of variable: Variable) throws -> [Variable] {
        if let s = cache[variable] { return s }
        // Walk the ancestors whose shapes are missing, inputs first, without recursion.
        let missing = toposort(outputs: [variable], isStop: { self.cache[$0] != nil })
        for node in missing {
            let inputShapes = try node.inputs.map { try self.cache[$0] ?? rootShape($0) }
            let inferred: [[Variable]]
            do {
                inferred = try node.op.inferShape(node, inputShapes)
            } catch {
                inferred = try node.outputs.map(rootShape)
            }
            for (out, dims) in zip(node.outputs, inferred) where dims.count == out.type.rank {
                cache[out] = withStaticSizes(out, dims)
            }
            for out in node.outputs where cache[out] == nil { cache[out] = try rootShape(out) }
        }
        if let s = cache[variable] { return s }
        let s = try rootShape(variable)
        cache[variable] = s
        return s
    }

    /// Constants for static sizes, `ShapeIndex` of the variable for the others.
    private func rootShape(_ v: Variable) throws -> [Variable] {
        if let s = cache[v] { return s }
        let s = try v.type.shape.enumerated().map { axis, size in
            if let size { return shapeConstant(size) }
            return try ShapeIndex(axis).makeNode([v]).output
        }
        cache[v] = s
        return s
    }

    private func withStaticSizes(_ v: Variable, _ dims: [Variable]) -> [Variable] {
        zip(v.type.shape, dims).map { size, dim in size.map(shapeConstant) ?? dim }
    }
}

extension FunctionGraph {
    /// The graph's shape feature, attached on first use.
    public var shapeFeature: ShapeFeature {
        if let f = feature(ShapeFeature.self) { return f }
        let f = ShapeFeature()
        attach(f)
        return f
    }
}
