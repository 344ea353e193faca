import TheanoArray
import TheanoTensor

/// A ``ScalarProgram`` prepared to run block by block: every step resolved to its typed loop,
/// intermediate results assigned to block-sized registers (reused once their last reader has
/// run), and steps whose operands are all scalars (scalar inputs, constants) set apart to run
/// once per call instead of once per element.
///
/// Values are numbered: the program's inputs first, then constants and steps. At run time each
/// value is a pointer: to the current block of an input or register, or to a single element for
/// a scalar value.
struct BlockProgram {
    struct Instruction {
        let kernel: StepKernel
        /// Value numbers of the operands (unused entries repeat the first).
        let operands: (Int, Int, Int)
        let result: Int
    }

    /// Where a value lives while blocks run.
    enum Storage: Equatable {
        /// Program input `i`: its current block, or its single element when scalar.
        case input(Int)
        /// One element in the call's slots (constants, steps computed once per call).
        case slot(Int)
        /// A block-sized register.
        case register(Int)
        /// Written straight into output `k`'s current block (elementwise programs).
        case output(Int)
    }

    let inputTypes: [DType]
    /// Inputs that are one element for every position (every axis statically of size 1).
    let scalarInputs: [Bool]
    /// Per value: where it lives, its dtype, whether it is a single element.
    let storage: [Storage]
    let dtypes: [DType]
    let isScalar: [Bool]
    /// Constants: slot and value bits (little-endian, the value's own width).
    let constants: [(slot: Int, bits: UInt64)]
    let slotCount: Int
    /// Registers for step results; input `i`'s gathered block uses register `stepRegisters + i`.
    let stepRegisters: Int
    /// Steps run once per call (n = 1), then once per block.
    let scalarSteps: [Instruction]
    let blockSteps: [Instruction]
    /// The value of each program output.
    let outputs: [Int]
    /// Whether a step can throw (integer `pow` of a negative exponent).
    let mayThrow: Bool

    var registerCount: Int { stepRegisters + inputTypes.count }

    /// Prepares `program` for inputs whose scalar-ness is `scalarInputs`. With `writesOutputs`,
    /// the first output naming a step writes it directly into that output's block; otherwise
    /// (reductions) outputs stay in registers. Nil when a step has no loop here.
    init?(_ program: ScalarProgram, scalarInputs: [Bool], writesOutputs: Bool) {
        inputTypes = program.inputTypes
        self.scalarInputs = scalarInputs
        var storage: [Storage] = program.inputTypes.indices.map { .input($0) }
        var dtypes = program.inputTypes
        var isScalar = scalarInputs
        var constants: [(slot: Int, bits: UInt64)] = []
        var slotCount = 0
        var constantValues: [ScalarProgram.Operand: Int] = [:]

        // 1. Values of the steps (identities share their operand's value; clip is two steps).
        struct Pending {
            let op: ScalarOp
            let types: [DType]
            let operands: [Int]
            let result: Int
        }
        var pending: [Pending] = []
        var stepValue: [Int] = []
        func newValue(_ t: DType, scalar: Bool) -> Int {
            storage.append(.slot(-1))  // placeholder, assigned below
            dtypes.append(t)
            isScalar.append(scalar)
            return storage.count - 1
        }
        func value(_ o: ScalarProgram.Operand) -> Int {
            switch o {
            case .input(let i): return i
            case .step(let s): return stepValue[s]
            case .constant(let v, let t):
                if let known = constantValues[o] { return known }
                let id = newValue(t, scalar: true)
                storage[id] = .slot(slotCount)
                constants.append((slotCount, Self.bits(v, t)))
                slotCount += 1
                constantValues[o] = id
                return id
            }
        }
        for step in program.steps {
            let operands = step.operands.map(value)
            let types = operands.map { dtypes[$0] }
            if StepKernels.isIdentity(step.op, types) {
                stepValue.append(operands[0])
                continue
            }
            let scalar = operands.allSatisfy { isScalar[$0] }
            if step.op == .clip {
                // minimum(maximum(x, low), high), as the reference.
                let low = newValue(step.dtype, scalar: scalar)
                pending.append(Pending(op: .maximum, types: [types[0], types[1]], operands: [operands[0], operands[1]], result: low))
                let result = newValue(step.dtype, scalar: scalar)
                pending.append(Pending(op: .minimum, types: [types[0], types[2]], operands: [low, operands[2]], result: result))
                stepValue.append(result)
                continue
            }
            let result = newValue(step.dtype, scalar: scalar)
            pending.append(Pending(op: step.op, types: types, operands: operands, result: result))
            stepValue.append(result)
        }
        outputs = program.outputs.map(value)
        mayThrow = pending.contains { $0.op == .pow && !$0.types[0].isFloatingPoint }

        // 2. Storage: scalar steps in slots; block steps in outputs or registers, a register
        // reused once the last step reading its value has run.
        var lastUse = Array(repeating: -1, count: storage.count)
        for (k, p) in pending.enumerated() { for o in p.operands { lastUse[o] = k } }
        for o in outputs { lastUse[o] = Int.max }
        // The first output naming a block step is that step's storage.
        var direct: [Int: Int] = [:]
        if writesOutputs {
            let results = Set(pending.map(\.result))
            for (k, o) in outputs.enumerated() where direct[o] == nil && results.contains(o) && !isScalar[o] {
                direct[o] = k
            }
        }
        var free: [Int] = []
        var registers = 0
        var scalarSteps: [Instruction] = []
        var blockSteps: [Instruction] = []
        for (k, p) in pending.enumerated() {
            let scalar = isScalar[p.result]
            if scalar {
                storage[p.result] = .slot(slotCount)
                slotCount += 1
            } else if let out = direct[p.result] {
                storage[p.result] = .output(out)
            } else if let r = free.popLast() {
                storage[p.result] = .register(r)
            } else {
                storage[p.result] = .register(registers)
                registers += 1
            }
            for o in Set(p.operands) where lastUse[o] == k {
                if case .register(let r) = storage[o] { free.append(r) }
            }
            // Scalar steps run with n = 1 on single elements: every operand a block of one.
            let flags = p.operands.map { scalar ? false : isScalar[$0] }
            guard let kernel = StepKernels.kernel(p.op, p.types, scalar: flags) else { return nil }
            let ops = p.operands
            let instruction = Instruction(kernel: kernel, operands: (ops[0], ops.count > 1 ? ops[1] : ops[0], ops.count > 2 ? ops[2] : ops[0]),
                                          result: p.result)
            if scalar { scalarSteps.append(instruction) } else { blockSteps.append(instruction) }
        }
        self.storage = storage
        self.dtypes = dtypes
        self.isScalar = isScalar
        self.constants = constants
        self.slotCount = slotCount
        self.stepRegisters = registers
        self.scalarSteps = scalarSteps
        self.blockSteps = blockSteps
    }

    /// The bits of constant `v` stored as dtype `t` (as the reference converts it).
    private static func bits(_ v: Double, _ t: DType) -> UInt64 {
        switch t {
        case .bool: return v != 0 ? 1 : 0
        case .uint8: return UInt64(UInt8.element(fromDouble: v))
        case .int8: return UInt64(UInt8(bitPattern: Int8.element(fromDouble: v)))
        case .int16: return UInt64(UInt16(bitPattern: Int16.element(fromDouble: v)))
        case .int32: return UInt64(UInt32(bitPattern: Int32.element(fromDouble: v)))
        case .int64: return UInt64(bitPattern: Int64.element(fromDouble: v))
        case .float32: return UInt64(Float(v).bitPattern)
        case .float64: return v.bitPattern
        }
    }
}
