import CTheano
import Foundation

/// What OpenBLAS chose for this machine, and whether a faster kernel set is available.
///
/// OpenBLAS built with `DYNAMIC_ARCH` (Debian's) picks its GEMM kernels when the library
/// loads. Older releases do not recognise recent AMD processors with AVX-512 and fall back to
/// the AVX2 ("Haswell") kernels, about 1.6 times slower here. The kernel set can only be chosen
/// before the library loads, through the environment variable `OPENBLAS_CORETYPE`; the `theano`
/// executable sets it and restarts itself (see ``recommendedCoreType``).
public enum OpenBLASInfo {
    /// The kernel set OpenBLAS is using (for example `"Haswell"` or `"SkylakeX"`).
    public static var coreName: String {
        openblas_get_corename().map { String(cString: $0) } ?? "unknown"
    }

    /// Whether the processor has the AVX-512 subsets OpenBLAS's SkylakeX kernels use.
    public static var cpuHasAVX512: Bool {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flags = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return false }
        let set = Set(flags.split(separator: " ").map(String.init))
        return ["avx512f", "avx512dq", "avx512bw", "avx512vl"].allSatisfy(set.contains)
    }

    /// `"SkylakeX"` when OpenBLAS runs AVX2 kernels on a processor with AVX-512 and the user has
    /// not chosen a kernel set; nil otherwise.
    public static var recommendedCoreType: String? {
        guard ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil else { return nil }
        guard ["Haswell", "Zen"].contains(coreName), cpuHasAVX512 else { return nil }
        return "SkylakeX"
    }
}
