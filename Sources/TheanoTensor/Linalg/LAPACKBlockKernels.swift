import TheanoArray

// The in-place block kernels of the factorisations and solves that batches of small matrices
// use most (``BatchedLinalgOp``'s pointer path): each reads its inputs where they lie, writes
// its outputs where they belong, and factorises in scratch memory shared by every block, so a
// batch of 256 solves allocates nothing per matrix.
//
// LAPACK is column-major and our blocks are row-major. Instead of transposing in and out (as
// LAPACKE's row-major entry points do), most kernels factorise the row-major block read as
// column-major, that is `A^T`, and use the identity that the factors of `A^T` are those of `A`
// transposed: `det(A^T) = det(A)`, `inv(A^T) = inv(A)^T`, and `A^T = P L U` gives
// `A = U^T L^T P^T`, whose triangles are solved row-major without copying
// (``LAPACKBlocks/triangularSolve(lower:transposed:unit:_:_:_:_:)``). Only ``LUFactor``,
// whose output must be `A`'s own factors in SciPy's layout, transposes.

/// The `n x n` scratch matrix followed by `n` pivots, in a block's scratch memory.
private func matrixAndPivots<T>(_ scratch: UnsafeMutableRawPointer, _ n: Int, _ type: T.Type) -> (UnsafeMutablePointer<T>, UnsafeMutablePointer<Int32>) {
    let matrix = scratch.bindMemory(to: T.self, capacity: n * n)
    let pivots = (scratch + n * n * MemoryLayout<T>.stride).bindMemory(to: Int32.self, capacity: n)
    return (matrix, pivots)
}

/// Bytes for an `n x n` matrix and `n` int32 pivots.
private func matrixAndPivotsBytes(_ n: Int, _ elementSize: Int) -> Int {
    n * n * elementSize + n * MemoryLayout<Int32>.stride
}

/// Swaps rows `i` and `pivots[i]` (0-based) of the row-major `n x k` matrix `m`, in order, or
/// in reverse order when `reverse`: `P^T m` or `P m` for LAPACK's `A = P L U`.
@_specialize(where T == Float)
@_specialize(where T == Double)
private func swapRows<T>(_ m: UnsafeMutablePointer<T>, _ n: Int, _ k: Int, reverse: Bool, pivot: (Int) -> Int) {
    for step in 0..<n {
        let i = reverse ? n - 1 - step : step
        let p = pivot(i)
        if p == i { continue }
        for j in 0..<k { swap(&m[i * k + j], &m[p * k + j]) }
    }
}

/// `getrf`'s status as an error (illegal argument, workspace), or whether U is singular.
private func factorised(_ info: Int32, _ op: String) throws -> Bool {
    try checkLAPACKStatus(info, routine: "getrf", op)
    return info > 0
}

/// Factorises in place the row-major `n x n` block `f` reading its `lower` (else upper)
/// triangle: that is the column-major upper (else lower) one, whose factor read row-major is
/// `L` with `A = L L^T` (else `U` with `A = U^T U`). The other triangle keeps its entries.
private func choleskyFactorised<T: LAPACKScalar>(_ f: UnsafeMutablePointer<T>, _ n: Int, lower: Bool, _ op: String, _ location: () -> String) throws {
    let info = T.potrfColumnMajor(upper: lower, Int32(n), f)
    try checkLAPACKStatus(info, routine: "potrf", op)
    if info > 0 { throw LAPACKBlocks.notPositiveDefinite(op, info, location()) }
}

extension LAPACKBlocks {
    /// The sign and the natural logarithm of `|det|` from the diagonal of an LU factorisation
    /// (`n x n`, either layout) and its 1-based pivots.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func signAndLogDeterminant<T: LAPACKScalar>(diagonalOf lu: UnsafePointer<T>, _ pivots: UnsafePointer<Int32>, _ n: Int) -> (sign: Double, log: Double) {
        var sign = 1.0, log = 0.0
        for i in 0..<n {
            let u = Double(lu[i * n + i])
            if u == 0 { return (0, -Double.infinity) }
            if u < 0 { sign = -sign }
            if Int(pivots[i]) != i + 1 { sign = -sign }
            log += Double.log(Swift.abs(u))
        }
        return (sign, log)
    }

    /// Checks 0-based pivots read from a graph value (each `i <= p < n`, as `getrf` makes).
    static func checkPivots(_ pivots: UnsafePointer<Int32>, _ n: Int, _ op: String, _ location: () -> String) throws {
        for i in 0..<n where Int(pivots[i]) < i || Int(pivots[i]) >= n {
            throw TheanoError.outOfRange(
                "\(op): pivot \(i) is \(pivots[i])\(location()); pivots from luFactor satisfy \(i) <= pivot < \(n)")
        }
    }
}

extension Determinant {
    var hasBlockKernel: Bool { true }
    func scratchBytes(_ cores: [[Int]], elementSize: Int) -> Int { matrixAndPivotsBytes(cores[0][0], elementSize) }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    func computeBlock<T: LAPACKScalar>(in block: LinalgBlock, _ cores: [[Int]], _ type: T.Type, _ location: () -> String) throws {
        let n = cores[0][0]
        let (a, pivots) = matrixAndPivots(block.scratch, n, T.self)
        var det: T = 1
        if n > 0 {
            a.update(from: block.input(0, T.self), count: n * n)
            _ = try factorised(T.getrfColumnMajor(Int32(n), a, pivots), name)
            for i in 0..<n {
                det *= a[i * n + i]
                if Int(pivots[i]) != i + 1 { det = -det }
            }
        }
        block.output(0, T.self).pointee = det
    }
}

extension SignLogDeterminant {
    var hasBlockKernel: Bool { true }
    func scratchBytes(_ cores: [[Int]], elementSize: Int) -> Int { matrixAndPivotsBytes(cores[0][0], elementSize) }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    func computeBlock<T: LAPACKScalar>(in block: LinalgBlock, _ cores: [[Int]], _ type: T.Type, _ location: () -> String) throws {
        let n = cores[0][0]
        let (a, pivots) = matrixAndPivots(block.scratch, n, T.self)
        var result = (sign: 1.0, log: 0.0)
        if n > 0 {
            a.update(from: block.input(0, T.self), count: n * n)
            _ = try factorised(T.getrfColumnMajor(Int32(n), a, pivots), name)
            result = LAPACKBlocks.signAndLogDeterminant(diagonalOf: a, pivots, n)
        }
        block.output(0, T.self).pointee = T(result.sign)
        block.output(1, T.self).pointee = T(result.log)
    }
}

extension MatrixInverse {
    var hasBlockKernel: Bool { true }
    /// `getri`'s workspace: 64 columns, its usual block size.
    private static func workspace(_ n: Int) -> Int { Swift.max(n, 1) * 64 }

    func scratchBytes(_ cores: [[Int]], elementSize: Int) -> Int {
        let n = cores[0][0]
        return MatrixInverse.workspace(n) * elementSize + n * MemoryLayout<Int32>.stride
    }

    /// Inverts `A^T` read column-major in the output block: `inv(A^T)` column-major is
    /// `inv(A)` row-major.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    func computeBlock<T: LAPACKScalar>(in block: LinalgBlock, _ cores: [[Int]], _ type: T.Type, _ location: () -> String) throws {
        let n = cores[0][0]
        if n == 0 { return }
        let lwork = MatrixInverse.workspace(n)
        let work = block.scratch.bindMemory(to: T.self, capacity: lwork)
        let pivots = (block.scratch + lwork * MemoryLayout<T>.stride).bindMemory(to: Int32.self, capacity: n)
        let x = block.output(0, T.self)
        x.update(from: block.input(0, T.self), count: n * n)
        if try factorised(T.getrfColumnMajor(Int32(n), x, pivots), name) {
            throw LAPACKBlocks.singular(name, "input 0", location())
        }
        try checkLAPACKStatus(T.getriColumnMajor(Int32(n), x, pivots, work, Int32(lwork)), routine: "getri", name)
    }
}

extension LUFactor {
    var hasBlockKernel: Bool { true }
    func scratchBytes(_ cores: [[Int]], elementSize: Int) -> Int { matrixAndPivotsBytes(cores[0][0], elementSize) }

    /// `A`'s own factors in SciPy's row-major layout: the block is transposed into scratch,
    /// factorised column-major, and transposed back.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    func computeBlock<T: LAPACKScalar>(in block: LinalgBlock, _ cores: [[Int]], _ type: T.Type, _ location: () -> String) throws {
        let n = cores[0][0]
        if n == 0 { return }
        let (a, pivots) = matrixAndPivots(block.scratch, n, T.self)
        let input = block.input(0, T.self), lu = block.output(0, T.self)
        for i in 0..<n {
            for j in 0..<n { a[j * n + i] = input[i * n + j] }
        }
        _ = try factorised(T.getrfColumnMajor(Int32(n), a, pivots), name)
        for i in 0..<n {
            for j in 0..<n { lu[i * n + j] = a[j * n + i] }
        }
        let out = block.output(1, Int32.self)
        for i in 0..<n { out[i] = pivots[i] - 1 }
    }
}

extension LUSolve {
    var hasBlockKernel: Bool { true }

    /// `getrs` on row-major operands: `A = P L U`, so `x = U^-1 L^-1 P^T b`, and for the
    /// transposed system `x = P L^-T U^-T b`.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    func computeBlock<T: LAPACKScalar>(in block: LinalgBlock, _ cores: [[Int]], _ type: T.Type, _ location: () -> String) throws {
        let n = cores[0][0]
        let nrhs = vectorRHS ? 1 : cores[2][1]
        let lu = block.input(0, T.self), pivots = block.input(1, Int32.self), x = block.output(0, T.self)
        try LAPACKBlocks.checkPivots(pivots, n, name, location)
        x.update(from: block.input(2, T.self), count: n * nrhs)
        if n == 0 || nrhs == 0 { return }
        if transposed {
            LAPACKBlocks.triangularSolve(lower: false, transposed: true, unit: false, n, nrhs, lu, x)
            LAPACKBlocks.triangularSolve(lower: true, transposed: true, unit: true, n, nrhs, lu, x)
            swapRows(x, n, nrhs, reverse: true) { Int(pivots[$0]) }
        } else {
            swapRows(x, n, nrhs, reverse: false) { Int(pivots[$0]) }
            LAPACKBlocks.triangularSolve(lower: true, transposed: false, unit: true, n, nrhs, lu, x)
            LAPACKBlocks.triangularSolve(lower: false, transposed: false, unit: false, n, nrhs, lu, x)
        }
    }
}

extension PivotRows {
    var hasBlockKernel: Bool { true }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    func computeBlock<T: LAPACKScalar>(in block: LinalgBlock, _ cores: [[Int]], _ type: T.Type, _ location: () -> String) throws {
        let (n, k) = (cores[0][0], cores[0][1])
        let pivots = block.input(1, Int32.self), m = block.output(0, T.self)
        try LAPACKBlocks.checkPivots(pivots, n, name, location)
        m.update(from: block.input(0, T.self), count: n * k)
        swapRows(m, n, k, reverse: inverse) { Int(pivots[$0]) }
    }
}

extension Solve {
    /// The symmetric-indefinite solve (`sysv`) has no pointer kernel: it runs `perform`.
    var hasBlockKernel: Bool { assume != .symmetric }

    func scratchBytes(_ cores: [[Int]], elementSize: Int) -> Int { matrixAndPivotsBytes(cores[0][0], elementSize) }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    func computeBlock<T: LAPACKScalar>(in block: LinalgBlock, _ cores: [[Int]], _ type: T.Type, _ location: () -> String) throws {
        let n = cores[0][0]
        let nrhs = vectorRHS ? 1 : cores[1][1]
        let x = block.output(0, T.self)
        x.update(from: block.input(1, T.self), count: n * nrhs)
        if n == 0 || nrhs == 0 { return }
        let (f, pivots) = matrixAndPivots(block.scratch, n, T.self)
        f.update(from: block.input(0, T.self), count: n * n)
        let size = Int32(n)
        if assume == .positiveDefinite {
            try choleskyFactorised(f, n, lower: lower, name, location)
            LAPACKBlocks.triangularSolve(lower: lower, transposed: !lower, unit: false, n, nrhs, f, x)
            LAPACKBlocks.triangularSolve(lower: lower, transposed: lower, unit: false, n, nrhs, f, x)
            return
        }
        // A^T = P L U column-major, so A = U^T L^T P^T, with U^T in the row-major lower
        // triangle and L^T (unit) in the upper one.
        if try factorised(T.getrfColumnMajor(size, f, pivots), name) {
            throw LAPACKBlocks.singular(name, "input 0", location())
        }
        LAPACKBlocks.triangularSolve(lower: true, transposed: false, unit: false, n, nrhs, f, x)
        LAPACKBlocks.triangularSolve(lower: false, transposed: false, unit: true, n, nrhs, f, x)
        swapRows(x, n, nrhs, reverse: true) { Int(pivots[$0]) - 1 }
    }
}

extension SolveTriangular {
    var hasBlockKernel: Bool { true }

    @_specialize(where T == Float)
    @_specialize(where T == Double)
    func computeBlock<T: LAPACKScalar>(in block: LinalgBlock, _ cores: [[Int]], _ type: T.Type, _ location: () -> String) throws {
        let n = cores[0][0]
        let nrhs = vectorRHS ? 1 : cores[1][1]
        let a = block.input(0, T.self), x = block.output(0, T.self)
        x.update(from: block.input(1, T.self), count: n * nrhs)
        if n == 0 || nrhs == 0 { return }
        if !unitDiagonal {
            for i in 0..<n where a[i * n + i] == 0 {
                throw TheanoError.invalidArgument(
                    "\(name): input 0 is singular\(location()): diagonal entry \(i) of the triangular matrix is zero")
            }
        }
        LAPACKBlocks.triangularSolve(lower: lower, transposed: false, unit: unitDiagonal, n, nrhs, a, x)
    }
}

extension Cholesky {
    var hasBlockKernel: Bool { true }

    /// The factor of ``choleskyFactorised(_:_:lower:_:_:)``, the other triangle zeroed.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    func computeBlock<T: LAPACKScalar>(in block: LinalgBlock, _ cores: [[Int]], _ type: T.Type, _ location: () -> String) throws {
        let n = cores[0][0]
        if n == 0 { return }
        let f = block.output(0, T.self)
        f.update(from: block.input(0, T.self), count: n * n)
        try choleskyFactorised(f, n, lower: lower, name, location)
        LAPACKBlocks.zeroOtherTriangle(f, n, lower: lower)
    }
}
