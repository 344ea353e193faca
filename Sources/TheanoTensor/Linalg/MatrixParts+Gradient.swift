import TheanoArray
import TheanoGraph

// The structural ops are linear: a triangle mask is its own adjoint, and taking a diagonal
// and building a diagonal matrix are each other's adjoints.

extension TrianglePart {
    func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        guard let g = outputGradients[0] else { return [nil] }
        return [try apply([Tensor(g)]).variable]
    }
}

extension MatrixDiagonalPart {
    func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        guard let g = outputGradients[0] else { return [nil] }
        return [try DiagonalScatter(offset: offset).apply([Tensor(g), Tensor(node.inputs[0])]).variable]
    }
}

extension DiagonalScatter {
    func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        guard let g = outputGradients[0] else { return [nil, nil] }
        let diagonal = try MatrixDiagonalPart(offset: offset).apply([Tensor(g)])
        return [try LinalgBatch.reduce(diagonal, to: node.inputs[0], coreRank: 1).variable, nil]
    }
}

extension DiagonalMatrix {
    func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        guard let g = outputGradients[0] else { return [nil] }
        return [try MatrixDiagonalPart().apply([Tensor(g)]).variable]
    }
}
