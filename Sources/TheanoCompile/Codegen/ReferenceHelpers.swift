/// The definitions of the preamble helpers that reproduce the reference semantics where C
/// differs (``ScalarCodegen/preambleHelpers``, all but the `lgamma` pair, whose spelling
/// depends on the platform's library), written once for every dialect: each dialect's
/// preamble puts its own declaration specifiers in front (`static inline` for the C backend,
/// `static __device__ __forceinline__` for CUDA).
public enum ReferenceHelpers {
    /// One helper: the names whose appearance in a unit's code means it is needed, and its
    /// definition.
    public struct Definition: Sendable {
        public let names: [String]
        public let text: String
    }

    /// The definitions, declared with `specifiers`.
    public static func definitions(specifiers: String) -> [Definition] {
        [
            Definition(names: ["th_digamma"], text: """
            \(specifiers) double th_digamma(double x) {
                if (isnan(x) || x == -(double)INFINITY) return (double)NAN;
                if (x == (double)INFINITY) return (double)INFINITY;
                double r = 0;
                if (x <= 0) {
                    if (x == floor(x)) return (double)NAN;
                    r -= M_PI / tan(M_PI * x);
                    x = 1 - x;
                }
                while (x < 10) { r -= 1 / x; x += 1; }
                double inv = 1 / x, inv2 = inv * inv;
                double s = inv2 * (1.0/12 - inv2 * (1.0/120 - inv2 * (1.0/252 - inv2 * (1.0/240 - inv2 * (1.0/132)))));
                return r + log(x) - 0.5 * inv - s;
            }
            """),
            Definition(names: ["th_f2i"], text: """
            /* Float to integer as the reference converts: NaN -> 0, saturate to int64, then wrap. */
            \(specifiers) int64_t th_f2i(double x) {
                if (isnan(x)) return 0;
                if (x >= 9.2233720368547758e18) return INT64_MAX;
                if (x <= -9.2233720368547758e18) return INT64_MIN;
                return (int64_t)x;
            }
            """),
            Definition(names: ["th_floordiv_f", "th_floordiv_", "th_mod_f", "th_mod_"], text: """
            /* NumPy's floating-point divmod. */
            #define TH_FLOAT_DIVMOD(T, SUF) \\
            \(specifiers) T th_floordiv_##SUF(T a, T b) { \\
                if (b == 0) return a / b; \\
                T mod = fmod##SUF(a, b); T div = (a - mod) / b; \\
                if (mod != 0) { if ((b < 0) != (mod < 0)) { mod += b; div -= 1; } } \\
                if (div != 0) { T f = floor##SUF(div); if (div - f > (T)0.5) f += 1; return f; } \\
                return copysign##SUF((T)0, a / b); \\
            } \\
            \(specifiers) T th_mod_##SUF(T a, T b) { \\
                if (b == 0) return (T)NAN; \\
                T mod = fmod##SUF(a, b); \\
                if (mod != 0) { if ((b < 0) != (mod < 0)) mod += b; } else mod = copysign##SUF((T)0, b); \\
                return mod; \\
            }
            TH_FLOAT_DIVMOD(float, f)
            TH_FLOAT_DIVMOD(double, )
            """),
            Definition(names: ["th_ifloordiv", "th_imod"], text: """
            /* Python's integer divmod, computed in 64 bits (wrapping), 0 for division by zero. */
            \(specifiers) int64_t th_ifloordiv(int64_t a, int64_t b) {
                if (b == 0) return 0;
                if (b == -1) return (int64_t)(0ull - (uint64_t)a);
                int64_t q = a / b, m = a % b;
                if (m != 0 && ((m < 0) != (b < 0))) q -= 1;
                return q;
            }
            \(specifiers) int64_t th_imod(int64_t a, int64_t b) {
                if (b == 0 || b == -1) return 0;
                int64_t m = a % b;
                if (m != 0 && ((m < 0) != (b < 0))) m += b;
                return m;
            }
            """),
            Definition(names: ["th_ipow", "TH_ERR_INT_POW"], text: """
            \(specifiers) uint64_t th_ipow(uint64_t base, int64_t e, int* err) {
                if (e < 0) { *err = TH_ERR_INT_POW; return 0; }
                uint64_t r = 1;
                while (e > 0) { if (e & 1) r *= base; base *= base; e >>= 1; }
                return r;
            }
            """),
        ]
    }
}
