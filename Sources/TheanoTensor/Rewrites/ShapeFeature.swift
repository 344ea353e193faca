import TheanoArray
import TheanoGraph

/// Symbolic shapes for every variable of a ``FunctionGraph``, from each op's `inferShape`.
///
/// `shape(of: x)` is one int64 scalar variable per axis of `x`: a constant where the static
/// size is known, else an expression over the shapes of the graph's inputs, built from the
/// `inferShape` of every node on the way, so asking for `x.shape` never requires computing `x`.
/// Shapes are computed lazily and cached. A cached expression stays valid until a variable
/// it mentions is replaced (the replacement has the same shape, but the expression would
/// bring the replaced computation back), so the feature remembers which graph variables the
/// cached expressions mention and clears the cache only when one of them is replaced.
public final class ShapeFeature: GraphFeature {
    private var cache: [Variable: [Variable]] = [:]
    /// Graph variables that some cached expression reads.
    private var mentioned = Set<Variable>()
    /// Expression variables already scanned for `mentioned`.
    private var scanned = Set<ObjectIdentifier>()
    private weak var graph: FunctionGraph?

    public init() {}

    public func onAttach(_ graph: FunctionGraph) {
        self.graph = graph
    }

    /// A shape expression that a rewrite brings into the graph becomes a graph variable that
    /// cached expressions mention.
    public func onImport(_ graph: FunctionGraph, node: Apply, reason: String) {
        guard !scanned.isEmpty else { return }
        for out in node.outputs where scanned.contains(ObjectIdentifier(out)) { mentioned.insert(out) }
    }

    public func onChangeInput(_ graph: FunctionGraph, client: FunctionGraph.Client, old: Variable, new: Variable, reason: String) {
        guard mentioned.contains(old) else { return }
        cache.removeAll()
        mentioned.removeAll()
        scanned.removeAll()
    }

    /// Records the graph variables that `dims` read (walking expression nodes not in the graph).
    private func noteMentions(_ dims: [Variable]) {
        guard let graph else { return }
        var work = dims
        while let v = work.popLast() {
            guard v.constantValue == nil, scanned.insert(ObjectIdentifier(v)).inserted else { continue }
            if graph.contains(v) {
                mentioned.insert(v)
            } else if let node = v.owner {
                work.append(contentsOf: node.inputs)
            }
        }
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
                let sizes = withStaticSizes(out, dims)
                noteMentions(sizes)
                cache[out] = sizes
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
        noteMentions(s)
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
