import CTheano
import Foundation

/// What OpenBLAS chose for this machine.
///
/// OpenBLAS built with `DYNAMIC_ARCH` (Debian's) picks its kernels when the library loads;
/// the environment variable `OPENBLAS_CORETYPE` overrides the choice. Theano leaves the choice
/// to OpenBLAS (and the user): float32 GEMMs of the sizes that matter run on oneDNN, which
/// picks its own kernels, and forcing OpenBLAS's AVX-512 kernels is a correctness risk with
/// older OpenBLAS builds on some processors (docs/DNNL.md).
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
}
