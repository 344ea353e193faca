import Theano

let x = Tensor.vector("x", .float32)
let y = Tensor.vector("y", .float32)
let z = try (exp(-x * x) * sin(y) + tanh(x * y)).named("z")
print(debugPrint([z.variable], types: true))
let f = try function([x, y], [z])
let out = try f(NDArray([1, 2, 3] as [Float]), NDArray([0.5, 0.25, 0.125] as [Float]))
print(out[0].toArray(of: Float.self))
