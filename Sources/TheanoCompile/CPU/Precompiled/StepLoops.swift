/// The typed loops that run one step of a scalar program over a block of elements.
///
/// A step kernel is a closure chosen once, when a function is linked, for one op, its dtypes
/// and which operands are scalars; it is called once per block (about a thousand elements), and
/// inside it a loop specialised for the element types applies the op to every element with no
/// call per element (the op is a type whose static `apply` the optimiser inlines). Ops without
/// a typed loop run the reference's own closure per element (`ScalarOp+Reference.swift`),
/// which still avoids the reference's allocation of every intermediate array.

/// Runs one step over `n` elements: operands (unused ones are any pointer), then the result.
/// Operands are blocks of `n` elements, or single elements where the step was built for a
/// scalar operand. Throws only where the reference throws (integer `pow` of a negative
/// exponent).
typealias StepKernel = (UnsafeRawPointer, UnsafeRawPointer, UnsafeRawPointer, UnsafeMutableRawPointer, Int) throws -> Void

/// A function of one element.
protocol UnaryFunction {
    associatedtype A
    associatedtype R
    static func apply(_ a: A) -> R
}

/// A function of two elements.
protocol BinaryFunction {
    associatedtype A
    associatedtype B
    associatedtype R
    static func apply(_ a: A, _ b: B) -> R
}

/// How a loop reads an operand: element `i` of a block, or one value for every `i`.
protocol Lane<Element> {
    associatedtype Element
    init(_ pointer: UnsafeRawPointer)
    subscript(_ i: Int) -> Element { get }
}

/// An operand that is a block of elements.
struct BlockLane<Element>: Lane {
    let base: UnsafePointer<Element>
    @inline(__always) init(_ pointer: UnsafeRawPointer) { base = pointer.assumingMemoryBound(to: Element.self) }
    @inline(__always) subscript(_ i: Int) -> Element { base[i] }
}

/// A scalar operand, read once before the loop.
struct ScalarLane<Element>: Lane {
    let value: Element
    @inline(__always) init(_ pointer: UnsafeRawPointer) { value = pointer.assumingMemoryBound(to: Element.self).pointee }
    @inline(__always) subscript(_ i: Int) -> Element { value }
}

enum StepLoops {
    static func unary<F: UnaryFunction>(_: F.Type) -> StepKernel {
        { a, _, _, out, n in
            let x = a.assumingMemoryBound(to: F.A.self)
            let y = out.assumingMemoryBound(to: F.R.self)
            for i in 0..<n { y[i] = F.apply(x[i]) }
        }
    }

    /// `scalar`: which operands are single values.
    static func binary<F: BinaryFunction>(_: F.Type, scalar: [Bool]) -> StepKernel {
        switch (scalar[0], scalar[1]) {
        case (false, true): return { a, b, _, out, n in run(BlockLane<F.A>(a), ScalarLane<F.B>(b), out, n, F.self) }
        case (true, false): return { a, b, _, out, n in run(ScalarLane<F.A>(a), BlockLane<F.B>(b), out, n, F.self) }
        case (false, false), (true, true): return { a, b, _, out, n in run(BlockLane<F.A>(a), BlockLane<F.B>(b), out, n, F.self) }
        }
    }

    @inline(__always)
    private static func run<X: Lane, Y: Lane, F: BinaryFunction>(_ x: X, _ y: Y, _ out: UnsafeMutableRawPointer, _ n: Int, _: F.Type)
    where X.Element == F.A, Y.Element == F.B {
        let z = out.assumingMemoryBound(to: F.R.self)
        for i in 0..<n { z[i] = F.apply(x[i], y[i]) }
    }

    /// `where(c, a, b)`: every combination of scalar operands.
    static func select<T>(_: T.Type, scalar: [Bool]) -> StepKernel {
        func make<C: Lane<Bool>, X: Lane<T>, Y: Lane<T>>(_: C.Type, _: X.Type, _: Y.Type) -> StepKernel {
            { c, a, b, out, n in
                let (cond, x, y) = (C(c), X(a), Y(b))
                let z = out.assumingMemoryBound(to: T.self)
                for i in 0..<n { z[i] = cond[i] ? x[i] : y[i] }
            }
        }
        typealias V = BlockLane<T>
        typealias S = ScalarLane<T>
        switch (scalar[0], scalar[1], scalar[2]) {
        case (false, false, false), (true, true, true): return make(BlockLane<Bool>.self, V.self, V.self)
        case (false, false, true): return make(BlockLane<Bool>.self, V.self, S.self)
        case (false, true, false): return make(BlockLane<Bool>.self, S.self, V.self)
        case (false, true, true): return make(BlockLane<Bool>.self, S.self, S.self)
        case (true, false, false): return make(ScalarLane<Bool>.self, V.self, V.self)
        case (true, false, true): return make(ScalarLane<Bool>.self, V.self, S.self)
        case (true, true, false): return make(ScalarLane<Bool>.self, S.self, V.self)
        }
    }

    /// A step whose result is the same for every element (isnan of an integer).
    static func fill<T>(_ value: T) -> StepKernel {
        { _, _, _, out, n in out.assumingMemoryBound(to: T.self).update(repeating: value, count: n) }
    }

    // MARK: The reference's closures, one call per element

    static func unary<A, R>(_ f: @escaping (A) -> R) -> StepKernel {
        { a, _, _, out, n in
            let x = a.assumingMemoryBound(to: A.self)
            let y = out.assumingMemoryBound(to: R.self)
            for i in 0..<n { y[i] = f(x[i]) }
        }
    }

    static func binary<A, B, R>(_ f: @escaping (A, B) throws -> R, scalar: [Bool]) -> StepKernel {
        func make<X: Lane<A>, Y: Lane<B>>(_: X.Type, _: Y.Type) -> StepKernel {
            { a, b, _, out, n in
                let (x, y) = (X(a), Y(b))
                let z = out.assumingMemoryBound(to: R.self)
                for i in 0..<n { z[i] = try f(x[i], y[i]) }
            }
        }
        switch (scalar[0], scalar[1]) {
        case (false, true): return make(BlockLane<A>.self, ScalarLane<B>.self)
        case (true, false): return make(ScalarLane<A>.self, BlockLane<B>.self)
        case (false, false), (true, true): return make(BlockLane<A>.self, BlockLane<B>.self)
        }
    }
}
