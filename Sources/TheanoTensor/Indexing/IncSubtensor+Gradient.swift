import TheanoArray
import TheanoGraph

extension IncSubtensor {
    /// Gradients of `x` with `x[index]` set to, or incremented by, `y`:
    ///
    /// - `x`: the output gradient, with the selected region zeroed when setting (those
    ///   elements of `x` are overwritten);
    /// - `y`: the output gradient at the selection (`g[index]`), summed over the axes along
    ///   which `y` was broadcast to the selection. When setting through index arrays that
    ///   repeat a position, only the value written last reaches the output, so only it gets
    ///   that position's gradient;
    /// - the index inputs: none.
    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        let indexInputs = Array(node.inputs.dropFirst(2))
        let none = [Variable?](repeating: nil, count: indexInputs.count)
        guard let gv = outputGradients[0] else { return [nil, nil] + none }
        let g = Tensor(gv)
        let isAdvanced = entries.contains(where: \.isArray)
        func gather(_ t: Tensor) throws -> Tensor {
            let op: any Op = isAdvanced ? AdvancedSubtensor(entries) : Subtensor(entries)
            return Tensor(try op.makeNode([t.variable] + indexInputs).output)
        }
        var selected = try gather(g)
        let gx: Tensor
        switch mode {
        case .increment:
            gx = g
        case .set:
            let zero = Tensor.constant(0, g.dtype)
            gx = Tensor(try IncSubtensor(entries, mode: .set).makeNode([gv, zero.variable] + indexInputs).output)
            if entries.contains(.array) {
                selected = try `where`(try lastWriters(selected, x: node.inputs[0], indexInputs, gather: gather), selected, 0)
            }
        }
        let gy = try sumToValueShape(selected, of: node.inputs[1])
        return [gx.variable, gy.variable] + none
    }

    /// A bool tensor shaped like the selection: true where that element of the selection is
    /// the one a set through index arrays writes last to its position (every element, unless
    /// a position repeats). Found by setting each element's number into an int64 tensor shaped
    /// like `x` and reading back which number stayed.
    private func lastWriters(
        _ selection: Tensor, x: Variable, _ indexInputs: [Variable], gather: (Tensor) throws -> Tensor
    ) throws -> Tensor {
        let numbers = try reshape(arange(selection.size, dtype: .int64), selection.shapeList())
        let written = try IncSubtensor(entries, mode: .set).makeNode(
            [try zerosLike(Tensor(x), .int64).variable, numbers.variable] + indexInputs).output
        return try gather(Tensor(written)) .== numbers
    }
}
