import Dispatch

/// Seconds elapsed while running `body`.
func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// The median of `runs` timed calls after `warmup` untimed ones.
func medianTime(runs: Int, warmup: Int = 2, _ body: () throws -> Void) rethrows -> Double {
    for _ in 0..<warmup { try body() }
    var times: [Double] = []
    times.reserveCapacity(runs)
    for _ in 0..<runs { times.append(try seconds(body)) }
    times.sort()
    return times[times.count / 2]
}
