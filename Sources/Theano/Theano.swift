// The umbrella module: `import Theano` brings in arrays, graphs, ops and compilation.
@_exported import TheanoArray
@_exported import TheanoGraph
@_exported import TheanoTensor
@_exported import TheanoCompile
