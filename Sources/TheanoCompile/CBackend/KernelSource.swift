import TheanoArray
import TheanoTensor

/// Generates the C source of one kernel: a fused elementwise loop (``Composite``,
/// ``Elemwise``) or a fused elementwise-then-reduce loop (``CompositeReduce``, ``Reduce``).
///
/// Every kernel has three loops, chosen at run time: a flat loop when every operand is
/// C-contiguous (or a statically known scalar), which gcc vectorises (transcendental calls go
/// to libmvec); a row loop when every operand's last axis is contiguous or statically
/// broadcast; and a general strided loop. Large loops are split over the runtime's thread pool
/// in fixed chunks, so results do not depend on the number of threads.
struct KernelSource {
    let name: String
    let program: ScalarProgram
    /// Per program input: every static size is 1 (read once, hoisted out of loops).
    let inputIsScalar: [Bool]
    /// Per program input: the last axis has static size 1 (stride 0 in the row loop).
    let inputBroadcastsLastAxis: [Bool]
    /// Reduction applied to the program's single output, if any.
    let reduction: ReduceKind?
    /// Whether an output shares its buffer with an input (then no `restrict` pointers).
    var aliased = false

    /// Elements per chunk of parallel work.
    static let grain = 32_768

    func render() throws -> String {
        try reduction.map { try renderReduce($0) } ?? renderElementwise()
    }

    // MARK: Per-element body

    /// C statements computing the program for one element. `load(k)` is the C expression that
    /// reads input k. Returns the statements and the expressions of the outputs.
    private func body(load: (Int) -> String, indent: String) throws -> (String, [String]) {
        var lines: [String] = []
        for (k, t) in program.inputTypes.enumerated() {
            lines.append("\(indent)const \(ScalarCodegen.cType(t)) i\(k) = \(load(k));")
        }
        func operand(_ o: ScalarProgram.Operand) -> String {
            switch o {
            case .input(let k): return "i\(k)"
            case .step(let s): return "t\(s)"
            case .constant(let v, let t): return ScalarCodegen.literal(v, t)
            }
        }
        for (s, step) in program.steps.enumerated() {
            let expr = try ScalarCodegen(dialect: .c).expression(
                step.op, step.operands.map(operand), step.operands.map(program.dtype(of:)), out: step.dtype, errorFlag: "err")
            lines.append("\(indent)const \(ScalarCodegen.cType(step.dtype)) t\(s) = \(expr);")
        }
        return (lines.joined(separator: "\n"), program.outputs.map(operand))
    }

    private var inputCount: Int { program.inputTypes.count }

    private func pointerDeclarations(outputTypes: [DType]) -> String {
        var lines: [String] = []
        for (k, t) in program.inputTypes.enumerated() {
            lines.append("    const \(ScalarCodegen.cType(t))* \(restrict)p\(k) = (const \(ScalarCodegen.cType(t))*)c->call->data[\(k)];")
        }
        for (k, t) in outputTypes.enumerated() {
            lines.append("    \(ScalarCodegen.cType(t))* \(restrict)q\(k) = (\(ScalarCodegen.cType(t))*)c->call->data[\(inputCount + k)];")
        }
        return lines.joined(separator: "\n")
    }

    private var restrict: String { aliased ? "" : "restrict " }

    private var contextStruct: String {
        "typedef struct { const th_call* call; int err; double partial[16]; } \(name)_ctx;"
    }

    // MARK: Elementwise

    private func renderElementwise() throws -> String {
        let outTypes = program.outputs.map(program.dtype(of:))
        let operands = inputCount + outTypes.count
        let decls = pointerDeclarations(outputTypes: outTypes)
        let hoisted = (0..<inputCount).filter { inputIsScalar[$0] }
            .map { "    const \(ScalarCodegen.cType(program.inputTypes[$0])) s\($0) = p\($0)[0];" }.joined(separator: "\n")

        // Flat loop: element i of every operand (scalars hoisted).
        let (flatBody, flatOuts) = try body(load: { inputIsScalar[$0] ? "s\($0)" : "p\($0)[i]" }, indent: "        ")
        let flatStores = flatOuts.enumerated().map { "        q\($0.offset)[i] = \($0.element);" }.joined(separator: "\n")
        // Padded tail: inputs copied into 16-lane buffers, outputs gathered from 16-lane buffers.
        let tailLoads = (0..<inputCount).filter { !inputIsScalar[$0] }.map { k in
            let t = ScalarCodegen.cType(program.inputTypes[k])
            return "        \(t) l\(k)[16]; for (int64_t j = 0; j < 16; j++) l\(k)[j] = p\(k)[vend + (j < m ? j : m - 1)];"
        }.joined(separator: "\n")
        let tailOutDecls = outTypes.enumerated().map { "        \(ScalarCodegen.cType($0.element)) r\($0.offset)[16];" }.joined(separator: "\n")
        let (tailBody, tailOuts) = try body(load: { inputIsScalar[$0] ? "s\($0)" : "l\($0)[i]" }, indent: "            ")
        let tailStores = tailOuts.enumerated().map { "            r\($0.offset)[i] = \($0.element);" }.joined(separator: "\n")
        let tailCopies = outTypes.indices.map { "            q\($0)[vend + i] = r\($0)[i];" }.joined(separator: "\n")

        // Row loop with unit inner strides (or statically broadcast last axis).
        let rowLoad: (Int) -> String = { k in
            inputIsScalar[k] ? "s\(k)" : (inputBroadcastsLastAxis[k] ? "p\(k)[o\(k)]" : "p\(k)[o\(k) + j]")
        }
        let (rowBody, rowOuts) = try body(load: rowLoad, indent: "            ")
        let rowStores = rowOuts.enumerated().map { "            q\($0.offset)[o\(inputCount + $0.offset) + j] = \($0.element);" }.joined(separator: "\n")
        // General strided loop.
        let (strBody, strOuts) = try body(load: { inputIsScalar[$0] ? "s\($0)" : "p\($0)[o\($0) + j * st\($0)]" }, indent: "            ")
        let strStores = strOuts.enumerated().map { "            q\($0.offset)[o\(inputCount + $0.offset) + j * st\(inputCount + $0.offset)] = \($0.element);" }.joined(separator: "\n")

        let offsets = (0..<operands).map { "o\($0) += idx * st[\($0) * nd + d];" }.joined(separator: " ")
        let offsetDecl = (0..<operands).map { "o\($0) = 0" }.joined(separator: ", ")
        let innerStrides = (0..<operands).map { "const int64_t st\($0) = nd > 0 ? st[\($0) * nd + nd - 1] : 0;" }.joined(separator: " ")
        let unitCheck = (0..<operands).filter { $0 >= inputCount || !(inputIsScalar[$0] || inputBroadcastsLastAxis[$0]) }
            .map { "st\($0) == 1" }.joined(separator: " && ")

        return """
        \(contextStruct)

        static void \(name)_flat(void* vc, int64_t begin, int64_t end) {
            \(name)_ctx* c = (\(name)_ctx*)vc;
            int err = 0;
        \(decls)
        \(hoisted)
            const int64_t vend = begin + (end - begin) / 16 * 16;
            for (int64_t i = begin; i < vend; i++) {
        \(flatBody)
        \(flatStores)
            }
            if (vend < end) {
                /* The tail runs through the same vectorised body on 16 padded lanes (repeating
                   the last element), so short arrays never fall back to scalar libm calls. */
                const int64_t m = end - vend;
        \(tailLoads)
        \(tailOutDecls)
                for (int64_t i = 0; i < 16; i++) {
        \(tailBody)
        \(tailStores)
                }
                for (int64_t i = 0; i < m; i++) {
        \(tailCopies)
                }
            }
            if (err) c->err = err;
        }

        static void \(name)_rows(void* vc, int64_t begin, int64_t end) {
            \(name)_ctx* c = (\(name)_ctx*)vc;
            const int64_t nd = c->call->ndim;
            const int64_t* shape = c->call->shape;
            const int64_t* st = c->call->strides;
            const int64_t n = nd > 0 ? shape[nd - 1] : 1;
            int err = 0;
        \(decls)
        \(hoisted)
            \(innerStrides)
            const int unit = \(unitCheck.isEmpty ? "1" : unitCheck);
            for (int64_t r = begin; r < end; r++) {
                int64_t \(offsetDecl);
                int64_t rest = r;
                for (int64_t d = nd - 2; d >= 0; d--) {
                    const int64_t idx = rest % shape[d];
                    rest /= shape[d];
                    \(offsets)
                }
                if (unit) {
                    for (int64_t j = 0; j < n; j++) {
        \(rowBody)
        \(rowStores)
                    }
                } else {
                    for (int64_t j = 0; j < n; j++) {
        \(strBody)
        \(strStores)
                    }
                }
            }
            if (err) c->err = err;
        }

        int \(name)(const th_call* call) {
            const int64_t nd = call->ndim;
            int64_t total = 1;
            for (int64_t d = 0; d < nd; d++) total *= call->shape[d];
            if (total == 0) return 0;
            \(name)_ctx c;
            c.call = call;
            c.err = 0;
            /* Flat when every non-scalar operand is C-contiguous over the iteration shape. */
            int flat = 1;
            for (int64_t k = 0; k < \(operands) && flat; k++) {
                if (k < \(inputCount) && \(scalarMask)[k]) continue;
                int64_t expect = 1;
                for (int64_t d = nd - 1; d >= 0; d--) {
                    if (call->shape[d] != 1 && call->strides[k * nd + d] != expect) { flat = 0; break; }
                    expect *= call->shape[d];
                }
            }
            if (flat) {
                if (call->parallel_for && total >= 2 * \(KernelSource.grain))
                    call->parallel_for(call->pool, total, \(KernelSource.grain), &c, \(name)_flat);
                else
                    \(name)_flat(&c, 0, total);
            } else {
                const int64_t rows = nd > 0 ? total / call->shape[nd - 1] : 1;
                const int64_t rowGrain = (\(KernelSource.grain) + total / rows - 1) / (total / rows);
                if (call->parallel_for && total >= 2 * \(KernelSource.grain) && rows > 1)
                    call->parallel_for(call->pool, rows, rowGrain > 0 ? rowGrain : 1, &c, \(name)_rows);
                else
                    \(name)_rows(&c, 0, rows);
            }
            return c.err;
        }

        """
    }

    private var scalarMask: String {
        "((const int[]){" + (inputIsScalar.isEmpty ? "0" : inputIsScalar.map { $0 ? "1" : "0" }.joined(separator: ",")) + "})"
    }

    // MARK: Reduction

    private func renderReduce(_ kind: ReduceKind) throws -> String {
        let elementType = program.dtype(of: program.outputs[0])
        let outType = kind.outputDType(for: elementType)
        let ct = ScalarCodegen.cType(outType)
        // Accumulator type and how values combine.
        let accType: String
        let identity: String
        let combine: (String, String) -> String
        let isFloat = elementType.isFloatingPoint
        switch kind {
        case .sum:
            accType = isFloat ? "double" : "uint64_t"
            identity = "0"
            combine = { acc, x in isFloat ? "\(acc) += (double)\(x)" : "\(acc) += (uint64_t)(int64_t)\(x)" }
        case .prod:
            accType = isFloat ? "double" : "uint64_t"
            identity = "1"
            combine = { acc, x in isFloat ? "\(acc) *= (double)\(x)" : "\(acc) *= (uint64_t)(int64_t)\(x)" }
        case .max, .min:
            accType = ScalarCodegen.cType(elementType)
            identity = isFloat ? (kind == .max ? "-INFINITY" : "INFINITY") : extreme(elementType, max: kind == .min)
            let keep = kind == .max ? "<=" : ">="
            combine = { acc, x in
                isFloat ? "\(acc) = (isnan(\(acc)) || \(x) \(keep) \(acc)) ? \(acc) : \(x)" : "\(acc) = (\(x) \(keep) \(acc)) ? \(acc) : \(x)"
            }
        case .all:
            accType = "uint8_t"
            identity = "1"
            combine = { acc, x in "\(acc) = (uint8_t)(\(acc) & ((\(x)) != 0))" }
        case .any:
            accType = "uint8_t"
            identity = "0"
            combine = { acc, x in "\(acc) = (uint8_t)(\(acc) | ((\(x)) != 0))" }
        }
        let finish: (String) -> String = { acc in
            switch kind {
            case .sum, .prod: return isFloat ? "(\(ct))\(acc)" : "(\(ct))(int64_t)\(acc)"
            default: return "(\(ct))\(acc)"
            }
        }
        let merge: (String, String) -> String = { a, b in
            switch kind {
            case .sum: return "\(a) += \(b)"
            case .prod: return "\(a) *= \(b)"
            default: return combine(a, b)
            }
        }
        let operands = inputCount + 1
        let decls = pointerDeclarations(outputTypes: [outType])
        let hoisted = (0..<inputCount).filter { inputIsScalar[$0] }
            .map { "    const \(ScalarCodegen.cType(program.inputTypes[$0])) s\($0) = p\($0)[0];" }.joined(separator: "\n")
        let (flatBody, flatOut) = try body(load: { inputIsScalar[$0] ? "s\($0)" : "p\($0)[b\($0) + j]" }, indent: "            ")
        let (strBody, strOut) = try body(load: { inputIsScalar[$0] ? "s\($0)" : "p\($0)[b\($0) + ro\($0)]" }, indent: "            ")
        let (leadBody, leadOut) = try body(load: { inputIsScalar[$0] ? "s\($0)" : "p\($0)[base + k]" }, indent: "                ")
        let (runBody, runOut) = try body(load: { inputIsScalar[$0] ? "s\($0)" : "p\($0)[b\($0) + ro\($0) + jj]" }, indent: "                        ")
        let runOffsets = (0..<inputCount).map { "ro\($0) += idx * st[\($0) * nd + d];" }.joined(separator: " ")
        let runCheck = (0..<inputCount).filter { !inputIsScalar[$0] }
            .map { "(shape[d] == 1 || st[\($0) * nd + d] == run)" }.joined(separator: " && ")
        let baseDecl = (0..<operands).map { "b\($0) = 0" }.joined(separator: ", ")
        let baseUpdate = (0..<operands).map { "b\($0) += idx * st[\($0) * nd + d];" }.joined(separator: " ")
        let redDecl = (0..<inputCount).map { "ro\($0) = 0" }.joined(separator: ", ")
        let redUpdate = (0..<inputCount).map { "ro\($0) += idx * st[\($0) * nd + d];" }.joined(separator: " ")
        let lanes = 16
        let laneIdentity = Array(repeating: identity, count: lanes).joined(separator: ", ")
        // The vectorisable loop of `index` (declared by the caller) up to `end`: whole groups
        // of `lanes` elements go through `lanes` separate accumulators (which the compiler
        // keeps in vector registers) merged into `result`, the tail straight into `result`.
        // `body` loads at `+ index]`.
        let laneLoop: (String, String, String, String) -> String = { index, end, body, output in
            """
                    {
                        \(accType) acc[\(lanes)] = { \(laneIdentity) };
                        for (; \(index) + \(lanes) <= \(end); \(index) += \(lanes)) {
                            for (int l = 0; l < \(lanes); l++) {
                                const int64_t \(index)_l = \(index) + l;
                \(body.replacing("+ \(index)]", with: "+ \(index)_l]"))
                                \(combine("acc[l]", output));
                            }
                        }
                        for (int l = 0; l < \(lanes); l++) { \(merge("result", "acc[l]")); }
                    }
                    for (; \(index) < \(end); \(index)++) {
                \(body)
                        \(combine("result", output));
                    }
            """
        }

        return """
        \(contextStruct)

        /* Reduces inner elements [jb, je) of outer position `o`, contiguous or strided. */
        static \(accType) \(name)_lane(\(name)_ctx* c, int64_t o, int64_t jb, int64_t je, int contiguous) {
            const int64_t nd = c->call->ndim, rd = c->call->reduce_ndim, kd = nd - rd;
            const int64_t* shape = c->call->shape;
            const int64_t* st = c->call->strides;
            int err = 0;
        \(decls)
        \(hoisted)
            (void)q0;
            int64_t \(baseDecl);
            int64_t rest = o;
            for (int64_t d = kd - 1; d >= 0; d--) {
                const int64_t idx = rest % shape[d];
                rest /= shape[d];
                \(baseUpdate)
            }
            \(accType) result = \(identity);
            if (contiguous) {
                int64_t j = jb;
        \(laneLoop("j", "je", flatBody, flatOut[0]))
            } else {
                /* The trailing reduced axes along which every input is contiguous form runs of
                   `run` elements (a batch-norm sum over N, H, W of NCHW: runs of H * W); whole
                   runs are read with the vectorised lane loop, the rest element by element. */
                int64_t run = 1, split = nd;
                for (int64_t d = nd - 1; d >= kd; d--) {
                    if (!(\(runCheck.isEmpty ? "1" : runCheck))) break;
                    run *= shape[d];
                    split = d;
                }
                int64_t runs_begin = je, runs_end = je;
                if (run >= \(lanes)) {
                    runs_begin = (jb + run - 1) / run * run;
                    runs_end = je / run * run;
                    if (runs_begin > runs_end) runs_begin = runs_end = je;
                }
                for (int64_t j = jb; j < je; j++) {
                    if (j == runs_begin && runs_begin < runs_end) {
                        for (int64_t j0 = runs_begin; j0 < runs_end; j0 += run) {
                            int64_t \(redDecl);
                            int64_t r = j0 / run;
                            for (int64_t d = split - 1; d >= kd; d--) {
                                const int64_t idx = r % shape[d];
                                r /= shape[d];
                                \(runOffsets)
                            }
                            int64_t jj = 0;
        \(laneLoop("jj", "run", runBody, runOut[0]))
                        }
                        j = runs_end - 1;
                        continue;
                    }
                    int64_t \(redDecl);
                    int64_t r = j;
                    for (int64_t d = nd - 1; d >= kd; d--) {
                        const int64_t idx = r % shape[d];
                        r /= shape[d];
                        \(redUpdate)
                    }
        \(strBody)
                    \(combine("result", strOut[0]));
                }
            }
            if (err) c->err = err;
            return result;
        }

        static int64_t \(name)_inner(const th_call* call) {
            int64_t n = 1;
            for (int64_t d = call->ndim - call->reduce_ndim; d < call->ndim; d++) n *= call->shape[d];
            return n;
        }

        static int \(name)_contiguous(const th_call* call) {
            const int64_t nd = call->ndim, kd = nd - call->reduce_ndim;
            for (int64_t k = 0; k < \(inputCount); k++) {
                if (\(scalarMask)[k]) continue;
                int64_t expect = 1;
                for (int64_t d = nd - 1; d >= kd; d--) {
                    if (call->shape[d] != 1 && call->strides[k * nd + d] != expect) return 0;
                    expect *= call->shape[d];
                }
            }
            return 1;
        }

        static void \(name)_outer(void* vc, int64_t begin, int64_t end) {
            \(name)_ctx* c = (\(name)_ctx*)vc;
            const th_call* call = c->call;
            const int64_t nd = call->ndim, kd = nd - call->reduce_ndim;
            const int64_t inner = \(name)_inner(call);
            const int contiguous = \(name)_contiguous(call);
            \(ct)* q = (\(ct)*)call->data[\(inputCount)];
            for (int64_t o = begin; o < end; o++) {
                int64_t out = 0, rest = o;
                for (int64_t d = kd - 1; d >= 0; d--) {
                    const int64_t idx = rest % call->shape[d];
                    rest /= call->shape[d];
                    out += idx * call->strides[\(inputCount) * nd + d];
                }
                \(accType) acc = \(name)_lane(c, o, 0, inner, contiguous);
                q[out] = \(finish("acc"));
            }
        }

        /* Reduced axes that are the outermost in memory (e.g. a column sum of a C-contiguous
           matrix): accumulate whole rows into a vector of accumulators, in memory order. */
        static int \(name)_leading_layout(const th_call* call) {
            const int64_t nd = call->ndim, kd = nd - call->reduce_ndim;
            for (int64_t k = 0; k <= \(inputCount); k++) {
                if (k < \(inputCount) && \(scalarMask)[k]) continue;
                int64_t expect = 1;
                for (int64_t d = kd - 1; d >= 0; d--) {
                    if (call->shape[d] != 1 && call->strides[k * nd + d] != expect) return 0;
                    expect *= call->shape[d];
                }
                if (k == \(inputCount)) break;
                for (int64_t d = nd - 1; d >= kd; d--) {
                    if (call->shape[d] != 1 && call->strides[k * nd + d] != expect) return 0;
                    expect *= call->shape[d];
                }
            }
            return 1;
        }

        static void \(name)_leading(void* vc, int64_t kb, int64_t ke) {
            \(name)_ctx* c = (\(name)_ctx*)vc;
            const th_call* call = c->call;
            const int64_t nd = call->ndim, kd = nd - call->reduce_ndim;
            int64_t K = 1, R = 1;
            for (int64_t d = 0; d < kd; d++) K *= call->shape[d];
            for (int64_t d = kd; d < nd; d++) R *= call->shape[d];
            int err = 0;
        \(decls)
        \(hoisted)
            enum { CHUNK = 512 };
            \(accType) acc[CHUNK];
            for (int64_t k0 = kb; k0 < ke; k0 += CHUNK) {
                const int64_t k1 = k0 + CHUNK < ke ? k0 + CHUNK : ke;
                for (int64_t k = k0; k < k1; k++) acc[k - k0] = \(identity);
                for (int64_t r = 0; r < R; r++) {
                    const int64_t base = r * K;
                    for (int64_t k = k0; k < k1; k++) {
        \(leadBody)
                        \(combine("acc[k - k0]", leadOut[0]));
                    }
                }
                for (int64_t k = k0; k < k1; k++) q0[k] = \(finish("acc[k - k0]"));
            }
            if (err) c->err = err;
        }

        /* A single output reduced in 16 fixed parts (deterministic for any thread count). */
        static void \(name)_parts(void* vc, int64_t begin, int64_t end) {
            \(name)_ctx* c = (\(name)_ctx*)vc;
            const int64_t inner = \(name)_inner(c->call);
            const int contiguous = \(name)_contiguous(c->call);
            for (int64_t p = begin; p < end; p++) {
                \(accType) acc = \(name)_lane(c, 0, inner * p / 16, inner * (p + 1) / 16, contiguous);
                c->partial[p] = (double)0;
                memcpy(&c->partial[p], &acc, sizeof(acc));
            }
        }

        int \(name)(const th_call* call) {
            const int64_t nd = call->ndim, kd = nd - call->reduce_ndim;
            int64_t outer = 1;
            for (int64_t d = 0; d < kd; d++) outer *= call->shape[d];
            if (outer == 0) return 0;
            const int64_t inner = \(name)_inner(call);
            \(name)_ctx c;
            c.call = call;
            c.err = 0;
            if (outer > 1 && \(name)_leading_layout(call)) {
                if (call->parallel_for && outer * inner >= 2 * \(KernelSource.grain) && outer >= 1024)
                    call->parallel_for(call->pool, outer, 512, &c, \(name)_leading);
                else
                    \(name)_leading(&c, 0, outer);
            } else if (outer == 1 && inner >= 16 * 1024) {
                if (call->parallel_for && inner >= 2 * \(KernelSource.grain))
                    call->parallel_for(call->pool, 16, 1, &c, \(name)_parts);
                else
                    \(name)_parts(&c, 0, 16);
                \(accType) acc = \(identity);
                for (int p = 0; p < 16; p++) {
                    \(accType) part;
                    memcpy(&part, &c.partial[p], sizeof(part));
                    \(merge("acc", "part"));
                }
                \(ct)* q = (\(ct)*)call->data[\(inputCount)];
                q[0] = \(finish("acc"));
            } else {
                const int64_t grain = inner > 0 ? (\(KernelSource.grain) + inner - 1) / inner : outer;
                if (call->parallel_for && outer * inner >= 2 * \(KernelSource.grain) && outer > 1)
                    call->parallel_for(call->pool, outer, grain, &c, \(name)_outer);
                else
                    \(name)_outer(&c, 0, outer);
            }
            return c.err;
        }

        """
    }

    private func extreme(_ t: DType, max: Bool) -> String {
        switch t {
        case .bool, .uint8: return max ? "UINT8_MAX" : "0"
        case .int8: return max ? "INT8_MAX" : "INT8_MIN"
        case .int16: return max ? "INT16_MAX" : "INT16_MIN"
        case .int32: return max ? "INT32_MAX" : "INT32_MIN"
        default: return max ? "INT64_MAX" : "INT64_MIN"
        }
    }
}
