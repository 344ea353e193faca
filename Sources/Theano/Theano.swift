// The umbrella module: `import Theano` brings in arrays, graphs, ops and compilation.
@_exported import TheanoArray
@_exported import TheanoGraph
@_exported import TheanoTensor
@_exported import TheanoCompile
// The CUDA backend (loaded at run time, nothing CUDA is linked): `.cuda(0)`, `.cudaEmulator`,
// and the names `THEANO_DEVICE` accepts.
@_exported import TheanoCUDA
