import TheanoArray
import TheanoCompile
import TheanoTensor

/// CUDA C reductions: an elementwise ``ScalarProgram`` (a `CompositeReduce`'s, or the
/// identity for a plain `Reduce`) reduced over the trailing axes of the iteration space, in two
/// kernels:
///
/// ```c
/// TH_KERNEL void name_partial(th_cuda_extent e, int64_t reduced_ndim, int64_t parts,
///                             const int64_t* strides, char* const* data, ACC* partial, int* err)
/// TH_KERNEL void name_finish(int64_t outer, int64_t parts, const ACC* partial, OUT* out)
/// ```
///
/// The iteration space has the kept axes first and the `reduced_ndim` reduced axes last (the
/// launcher permutes them, as the C backend does), so `outer` (the product of the kept sizes)
/// outputs each reduce `inner` elements. `name_partial` gives every (output, part) pair a block:
/// its threads accumulate a strided share of the part's elements in registers, then a warp
/// shuffle tree and a shared-memory step combine the block's values into `partial[block]`.
/// `name_finish` combines each output's `parts` partial results (the second pass that spreads
/// a large reduction with few outputs over many blocks) and converts to the output dtype.
/// Blocks must be a whole number of warps. Accumulators and identities follow the reference
/// (and the C backend): float sums and products in double, integer ones wrapping in 64 bits,
/// a NaN wins a max or min, `all`/`any` as 0/1 bytes.
public enum CUDAReductionSource {
    /// The kernels `name_partial` and `name_finish` for `kind` over the values `program`
    /// computes (its single output).
    public static func reduction(_ program: ScalarProgram, kind: ReduceKind, name: String) throws -> String {
        let element = program.dtype(of: program.outputs[0])
        let outType = kind.outputDType(for: element)
        let rules = Rules(kind: kind, element: element, output: outType)
        let inputs = program.inputTypes.count
        let body = try CUDAKernelSource.bodyLines(program, indent: "                ") { k in "b\(k) + r\(k)" }
        let value = CUDAKernelSource.operandText(program.outputs[0])
        let acc = rules.accumulator
        let baseDecl = (0..<inputs).map { "b\($0) = 0" }.joined(separator: ", ")
        let baseStep = (0..<inputs).map { "b\($0) += idx * strides[\($0) * e.ndim + d];" }.joined(separator: " ")
        let redDecl = (0..<inputs).map { "r\($0) = 0" }.joined(separator: ", ")
        let redStep = (0..<inputs).map { "r\($0) += idx * strides[\($0) * e.ndim + d];" }.joined(separator: " ")
        return """
        TH_KERNEL void \(name)_partial(th_cuda_extent e, int64_t reduced_ndim, int64_t parts, const int64_t* __restrict__ strides,
                                       char* const* __restrict__ data, \(acc)* __restrict__ partial, int* __restrict__ err) {
            __shared__ \(acc) warps[32];
            int local = 0;
            const int64_t kd = e.ndim - reduced_ndim;
            int64_t outer = 1, inner = 1;
            for (int64_t d = 0; d < kd; d++) outer *= e.shape[d];
            for (int64_t d = kd; d < e.ndim; d++) inner *= e.shape[d];
            for (int64_t block = blockIdx.x; block < outer * parts; block += gridDim.x) {
                const int64_t o = block / parts, p = block % parts;
                const int64_t jb = inner * p / parts, je = inner * (p + 1) / parts;
                int64_t \(baseDecl);
                int64_t rest = o;
                for (int64_t d = kd - 1; d >= 0; d--) {
                    const int64_t idx = rest % e.shape[d];
                    rest /= e.shape[d];
                    \(baseStep)
                }
                \(acc) acc = \(rules.identity);
                for (int64_t j = jb + threadIdx.x; j < je; j += blockDim.x) {
                    int64_t \(redDecl);
                    int64_t r = j;
                    for (int64_t d = e.ndim - 1; d >= kd; d--) {
                        const int64_t idx = r % e.shape[d];
                        r /= e.shape[d];
                        \(redStep)
                    }
        \(body.joined(separator: "\n"))
                    \(rules.combine("acc", value));
                }
                for (int shift = 16; shift > 0; shift >>= 1) {
                    const \(acc) other = \(rules.shuffle("acc", "shift"));
                    \(rules.merge("acc", "other"));
                }
                if ((threadIdx.x & 31) == 0) warps[threadIdx.x >> 5] = acc;
                __syncthreads();
                if (threadIdx.x == 0) {
                    \(acc) total = warps[0];
                    for (unsigned w = 1; w < (blockDim.x + 31) / 32; w++) { \(rules.merge("total", "warps[w]")); }
                    partial[block] = total;
                }
                __syncthreads();
            }
            if (local) atomicOr(err, local);
        }

        TH_KERNEL void \(name)_finish(int64_t outer, int64_t parts, const \(acc)* __restrict__ partial,
                                      \(ScalarCodegen.cType(outType))* __restrict__ out) {
            const int64_t stride = (int64_t)gridDim.x * blockDim.x;
            for (int64_t o = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; o < outer; o += stride) {
                \(acc) acc = partial[o * parts];
                for (int64_t p = 1; p < parts; p++) { \(rules.merge("acc", "partial[o * parts + p]")); }
                out[o] = \(rules.finish("acc"));
            }
        }

        """
    }

    /// The bytes of one partial result of `kind` over values of `element` (the accumulator).
    public static func accumulatorBytes(_ kind: ReduceKind, element: DType) -> Int {
        switch kind {
        case .sum, .prod: return 8
        case .max, .min: return element.byteSize
        case .all, .any: return 1
        }
    }

    /// How values combine for one reduction kind, in CUDA C (as the C backend's reductions).
    private struct Rules {
        let kind: ReduceKind
        let element: DType
        let output: DType

        var isFloat: Bool { element.isFloatingPoint }

        var accumulator: String {
            switch kind {
            case .sum, .prod: return isFloat ? "double" : "uint64_t"
            case .max, .min: return ScalarCodegen.cType(element)
            case .all, .any: return "uint8_t"
            }
        }

        var identity: String {
            switch kind {
            case .sum: return "0"
            case .prod: return "1"
            case .all: return "1"
            case .any: return "0"
            case .max, .min:
                if isFloat { return kind == .max ? "-(\(accumulator))INFINITY" : "(\(accumulator))INFINITY" }
                return extreme(max: kind == .min)
            }
        }

        func combine(_ acc: String, _ x: String) -> String {
            switch kind {
            case .sum: return isFloat ? "\(acc) += (double)\(x)" : "\(acc) += (uint64_t)(int64_t)\(x)"
            case .prod: return isFloat ? "\(acc) *= (double)\(x)" : "\(acc) *= (uint64_t)(int64_t)\(x)"
            case .max, .min:
                let keep = kind == .max ? "<=" : ">="
                return isFloat ? "\(acc) = (isnan(\(acc)) || \(x) \(keep) \(acc)) ? \(acc) : \(x)"
                    : "\(acc) = (\(x) \(keep) \(acc)) ? \(acc) : \(x)"
            case .all: return "\(acc) = (uint8_t)(\(acc) & ((\(x)) != 0))"
            case .any: return "\(acc) = (uint8_t)(\(acc) | ((\(x)) != 0))"
            }
        }

        func merge(_ a: String, _ b: String) -> String {
            switch kind {
            case .sum: return "\(a) += \(b)"
            case .prod: return "\(a) *= \(b)"
            default: return combine(a, b)
            }
        }

        /// `__shfl_down_sync` of the accumulator (bytes go through an int).
        func shuffle(_ v: String, _ shift: String) -> String {
            switch accumulator {
            case "uint8_t", "int8_t", "int16_t":
                return "(\(accumulator))__shfl_down_sync(0xffffffffu, (int)\(v), \(shift))"
            case "uint64_t": return "(uint64_t)__shfl_down_sync(0xffffffffu, (unsigned long long)\(v), \(shift))"
            case "int64_t": return "(int64_t)__shfl_down_sync(0xffffffffu, (long long)\(v), \(shift))"
            default: return "__shfl_down_sync(0xffffffffu, \(v), \(shift))"
            }
        }

        func finish(_ acc: String) -> String {
            let ct = ScalarCodegen.cType(output)
            switch kind {
            case .sum, .prod: return isFloat ? "(\(ct))\(acc)" : "(\(ct))(int64_t)\(acc)"
            default: return "(\(ct))\(acc)"
            }
        }

        private func extreme(max: Bool) -> String {
            switch element {
            case .bool, .uint8: return max ? "((uint8_t)255)" : "((uint8_t)0)"
            case .int8: return max ? "((int8_t)127)" : "((int8_t)-128)"
            case .int16: return max ? "((int16_t)32767)" : "((int16_t)-32768)"
            case .int32: return max ? "((int32_t)2147483647)" : "((int32_t)(-2147483647 - 1))"
            default: return max ? "INT64_MAX" : "INT64_MIN"
            }
        }
    }
}
