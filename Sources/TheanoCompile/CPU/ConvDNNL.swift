import TheanoArray
import TheanoTensor

// oneDNN for float32 convolutions (forward and both gradients), beside im2col + GEMM
// (ConvKernels.swift), which keeps float64, empty shapes, the geometries oneDNN rejects, and
// processes whose OpenMP threads spin (see `SGEMMLibrary`). oneDNN correlates; a true
// convolution (`filterFlip`) reads the filters reversed, which is the correlation with every
// spatial axis of the filters flipped.

/// What the report calls the oneDNN kernels.
let oneDNNConvolution = "oneDNN"

/// Whether float32 convolutions of this process go to oneDNN.
var convolutionsUseOneDNN: Bool {
    switch SGEMMLibrary.forced {
    case .openBLAS?: return false
    case .oneDNN?: return true
    case nil: return SGEMMLibrary.openMPIsPassive
    }
}

/// oneDNN's description of `g` when oneDNN runs it: float32, non-empty, OpenMP passive. The
/// padding after is the least that gives `g`'s output sizes (oneDNN checks the arithmetic).
func dnnlGeometry(_ g: ConvGeometry, _ dtype: DType) -> DNNLConvGeometry? {
    guard dtype == .float32, convolutionsUseOneDNN, g.batch > 0, g.inChannels > 0, g.outChannels > 0,
          g.inputSpatial > 0, g.outputSpatial > 0, g.kernelSpatial > 0 else { return nil }
    var padAfter: [Int] = []
    for a in 0..<g.input.count {
        let extent = (g.kernel[a] - 1) * g.dilation[a] + 1
        let after = (g.output[a] - 1) * g.stride[a] + extent - g.input[a] - g.padBefore[a]
        guard after >= 0 else { return nil }
        padAfter.append(after)
    }
    return DNNLConvGeometry(batch: g.batch, inChannels: g.inChannels, outChannels: g.outChannels, groups: g.groups,
                            inputSpatial: g.input, kernelSpatial: g.kernel, stride: g.stride, dilation: g.dilation,
                            padBefore: g.padBefore, padAfter: padAfter)
}

/// `filters` as float32 with every spatial axis reversed when `flip` (a recycled buffer), else
/// as they are.
func dnnlFilters(_ filters: NDArray, flip: Bool, kernelSpatial: Int, _ context: KernelContext) throws -> NDArray {
    let w = filters.astype(.float32)
    guard flip else { return w }
    let source = w.contiguous()
    let out = try context.buffers.allocate(source.shape, .float32)
    withExtendedLifetime(source) {
        reverseBlocks(from: source.storagePointer(as: Float.self) + source.offset,
                      to: out.storagePointer(as: Float.self) + out.offset, count: source.count, block: kernelSpatial)
    }
    return out
}

/// Reverses `array` (a fresh contiguous float32 buffer of filters) along every spatial axis, in
/// place.
func flipFiltersInPlace(_ array: NDArray, kernelSpatial: Int) {
    let p = array.storagePointer(as: Float.self) + array.offset
    let blocks = kernelSpatial > 0 ? array.count / kernelSpatial : 0
    for b in 0..<blocks {
        var i = b * kernelSpatial, j = i + kernelSpatial - 1
        while i < j { p.swapAt(i, j); i += 1; j -= 1 }
    }
}

/// Reversing each block of `block` elements reverses every spatial axis of C-ordered filters.
private func reverseBlocks(from s: UnsafePointer<Float>, to d: UnsafeMutablePointer<Float>, count: Int, block: Int) {
    guard block > 0 else { return }
    for b in 0..<(count / block) {
        let base = b * block
        for k in 0..<block { d[base + k] = s[base + block - 1 - k] }
    }
}

private extension UnsafeMutablePointer where Pointee == Float {
    func swapAt(_ i: Int, _ j: Int) {
        let t = self[i]
        self[i] = self[j]
        self[j] = t
    }
}
