import TheanoArray
import TheanoGraph

// The linear-algebra functions as methods (`a.solve(b)`), each forwarding to the free
// function of the same name, which documents it.

extension Tensor {
    /// The sign and log of the absolute determinant of every square matrix; see ``slogdet(_:)``.
    public func slogdet() throws -> (sign: Tensor, logAbsDet: Tensor) { try TheanoTensor.slogdet(self) }

    /// Solves `self x = b`; see ``solve(_:_:assume:lower:)``.
    public func solve(_ b: Tensor, assume: SolveAssumption = .general, lower: Bool = true) throws -> Tensor {
        try TheanoTensor.solve(self, b, assume: assume, lower: lower)
    }

    /// Solves `self x = b` for triangular `self`; see ``solveTriangular(_:_:lower:unitDiagonal:)``.
    public func solveTriangular(_ b: Tensor, lower: Bool = false, unitDiagonal: Bool = false) throws -> Tensor {
        try TheanoTensor.solveTriangular(self, b, lower: lower, unitDiagonal: unitDiagonal)
    }

    /// Eigenvalues and eigenvectors of every symmetric matrix; see ``eigh(_:lower:)``.
    public func eigh(lower: Bool = true) throws -> (values: Tensor, vectors: Tensor) { try TheanoTensor.eigh(self, lower: lower) }

    /// Eigenvalues of every symmetric matrix; see ``eigvalsh(_:lower:)``.
    public func eigvalsh(lower: Bool = true) throws -> Tensor { try TheanoTensor.eigvalsh(self, lower: lower) }

    /// The singular value decomposition; see ``svd(_:fullMatrices:)``.
    public func svd(fullMatrices: Bool = true) throws -> (u: Tensor, s: Tensor, vt: Tensor) {
        try TheanoTensor.svd(self, fullMatrices: fullMatrices)
    }

    /// The singular values; see ``svdvals(_:)``.
    public func svdvals() throws -> Tensor { try TheanoTensor.svdvals(self) }

    /// The QR factorisation; see ``qr(_:complete:)``.
    public func qr(complete: Bool = false) throws -> (q: Tensor, r: Tensor) { try TheanoTensor.qr(self, complete: complete) }

    /// The pseudo-inverse; see ``pinv(_:rcond:)``.
    public func pinv(rcond: Double = 1e-15) throws -> Tensor { try TheanoTensor.pinv(self, rcond: rcond) }

    /// The matrix exponential; see ``expm(_:)``.
    public func expm() throws -> Tensor { try TheanoTensor.expm(self) }

    /// An integer power of every square matrix; see ``matrixPower(_:_:)``.
    public func matrixPower(_ n: Int) throws -> Tensor { try TheanoTensor.matrixPower(self, n) }

    /// The Kronecker product; see ``kron(_:_:)``.
    public func kron(_ other: Tensor) throws -> Tensor { try TheanoTensor.kron(self, other) }

    /// A vector or matrix norm; see ``norm(_:ord:axes:keepdims:)``.
    public func norm(ord: NormOrder? = nil, axes: [Int]? = nil, keepdims: Bool = false) throws -> Tensor {
        try TheanoTensor.norm(self, ord: ord, axes: axes, keepdims: keepdims)
    }
}
