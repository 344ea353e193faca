import Foundation

/// A readable text form of an ``NDArray``, following NumPy's `repr` with its default print
/// options (line width 75, precision 8, summarised above 1000 elements with 3 edge items):
///
/// ```
/// array([[1., 2.],
///        [3., 4.]], dtype=float32)
/// array([ True, False])
/// array(3.5)
/// array([], shape=(0, 3), dtype=float32)
/// array([   0,    1,    2, ..., 1997, 1998, 1999], shape=(2000,))
/// ```
///
/// Floats print with the shortest digits that round-trip (at most 8 after the point), aligned
/// on the decimal point, in scientific notation when the magnitudes call for it (NumPy's rule:
/// a value of at least 1e8 or below 1e-4, or a ratio above 1000). The dtype is shown unless it
/// is bool, int64 or float64, and always for an empty array.
extension NDArray: CustomStringConvertible, CustomDebugStringConvertible {
    /// NumPy's `repr`; an array in device memory prints its header and where it lives (its
    /// elements are read only through ``onHost()``).
    public var description: String {
        if let device = storage.device { return "NDArray(shape=\(formatShape(shape)), dtype=\(dtype), on \(device.name))" }
        return ArrayPrinter(self).repr()
    }
    public var debugDescription: String { description }
}

/// NumPy's `array_repr` / `_formatArray` layout, for one array.
struct ArrayPrinter {
    static let lineWidth = 75
    static let threshold = 1000
    static let edgeItems = 3

    let array: NDArray
    let summarize: Bool

    init(_ array: NDArray) {
        self.array = array
        summarize = array.count > ArrayPrinter.threshold
    }

    func repr() -> String {
        let prefix = "array("
        let body: String
        if array.count == 0 {
            body = "[]"
        } else {
            let format = makeElementFormatter()
            if array.rank == 0 {
                body = format(array.offset)
            } else {
                let indent = String(repeating: " ", count: prefix.count + 1)
                body = formatAxis(index: [], storageOffset: array.offset, hangingIndent: indent,
                                  width: ArrayPrinter.lineWidth - 1, format: format)
            }
        }

        var extras: [String] = []
        if (array.count == 0 && array.shape != [0]) || summarize {
            extras.append("shape=" + pythonTuple(array.shape))
        }
        let impliedDType = array.dtype == .bool || array.dtype == .int64 || array.dtype == .float64
        if !impliedDType || array.count == 0 {
            extras.append("dtype=\(array.dtype.name)")
        }
        if extras.isEmpty { return prefix + body + ")" }
        let head = prefix + body + ","
        let tail = extras.joined(separator: ", ") + ")"
        let lastLineLength = head.count - (head.lastIndex(of: "\n").map { head.distance(from: head.startIndex, to: $0) + 1 } ?? 0)
        let spacer = lastLineLength + tail.count + 1 > ArrayPrinter.lineWidth
            ? "\n" + String(repeating: " ", count: prefix.count) : " "
        return head + spacer + tail
    }

    /// The positions shown along `axis`: all, or the first and last ``edgeItems`` when summarising.
    private func shownIndices(axis: Int) -> [Int] {
        let n = array.shape[axis]
        if summarize && 2 * ArrayPrinter.edgeItems < n {
            return Array(0..<ArrayPrinter.edgeItems) + Array((n - ArrayPrinter.edgeItems)..<n)
        }
        return Array(0..<n)
    }

    /// Storage offsets (in elements) of every element that will be printed.
    private func shownOffsets() -> [Int] {
        var offsets = [array.offset]
        for axis in 0..<array.rank {
            let steps = shownIndices(axis: axis).map { $0 * array.strides[axis] }
            offsets = offsets.flatMap { base in steps.map { base + $0 } }
        }
        return offsets
    }

    /// A function from a storage offset to the element's text, with a common width.
    private func makeElementFormatter() -> (Int) -> String {
        let offsets = shownOffsets()
        switch array.dtype {
        case .bool:
            let p = array.storagePointer(as: Bool.self)
            let trueText = array.rank == 0 ? "True" : " True"
            return { p[$0] ? trueText : "False" }
        case .float32:
            let p = array.storagePointer(as: Float.self)
            let format = FloatFormat(values: offsets.map { Double(p[$0]) }, isFloat32: true)
            return { format.text(Double(p[$0])) }
        case .float64:
            let p = array.storagePointer(as: Double.self)
            let format = FloatFormat(values: offsets.map { p[$0] }, isFloat32: false)
            return { format.text(p[$0]) }
        case .uint8, .int8, .int16, .int32, .int64:
            func integers<T: NDArrayElement>(_: T.Type) -> (Int) -> String {
                let p = array.storagePointer(as: T.self)
                let width = offsets.map { String(p[$0].int64Value).count }.max() ?? 0
                return { leftPad(String(p[$0].int64Value), width) }
            }
            return integers(array.dtype.elementType)
        }
    }

    /// NumPy's recursive layout: nested brackets, elements wrapped at the line width with a
    /// hanging indent, blank lines between blocks of rank 3 and more, `...` when summarising.
    private func formatAxis(index: [Int], storageOffset: Int, hangingIndent: String, width: Int,
                            format: (Int) -> String) -> String {
        let axis = index.count
        let axesLeft = array.rank - axis
        let n = array.shape[axis]
        let stride = array.strides[axis]
        let showSummary = summarize && 2 * ArrayPrinter.edgeItems < n
        let leading = showSummary ? ArrayPrinter.edgeItems : 0
        let trailing = showSummary ? ArrayPrinter.edgeItems : n
        let nextIndent = hangingIndent + " "
        func item(_ i: Int) -> String {
            if axesLeft == 1 { return format(storageOffset + i * stride) }
            return formatAxis(index: index + [i], storageOffset: storageOffset + i * stride,
                              hangingIndent: nextIndent, width: width - 1, format: format)
        }
        // The items in order, with nil standing for the summary marker.
        var items: [Int?] = Array(0..<leading)
        if showSummary { items.append(nil) }
        items += Array((n - trailing)..<n)

        var s = ""
        if axesLeft == 1 {
            let elementWidth = width - 1  // room for the separator or the closing bracket
            var line = hangingIndent
            for (k, i) in items.enumerated() {
                let word = i.map(item) ?? "..."
                extendLine(&s, &line, word, width: elementWidth, nextLinePrefix: hangingIndent)
                if k < items.count - 1 { line += ", " }
            }
            s += line
        } else {
            let separator = "," + String(repeating: "\n", count: axesLeft - 1)
            for (k, i) in items.enumerated() {
                s += hangingIndent + (i.map(item) ?? "...")
                if k < items.count - 1 { s += separator }
            }
        }
        return "[" + s.dropFirst(hangingIndent.count) + "]"
    }

    private func extendLine(_ s: inout String, _ line: inout String, _ word: String, width: Int, nextLinePrefix: String) {
        let needsWrap = line.count + word.count > width && line.count > nextLinePrefix.count
        if needsWrap {
            while line.last == " " { line.removeLast() }
            s += line + "\n"
            line = nextLinePrefix
        }
        line += word
    }

    private func pythonTuple(_ shape: [Int]) -> String {
        shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    }
}

private func leftPad(_ s: String, _ width: Int) -> String {
    s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
}

private func rightPad(_ s: String, _ width: Int) -> String {
    s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
}

/// NumPy's `FloatingFormat` with default options (`floatmode='maxprec'`, precision 8): one
/// layout (positional or scientific, padding) chosen from all printed values, then applied to
/// each.
struct FloatFormat {
    static let precision = 8

    let isFloat32: Bool
    let scientific: Bool
    /// Width of the integer part (with sign) and of the fraction (positional mode).
    var padLeft = 0
    var padRight = 0
    /// Digits after the point and exponent digits (scientific mode).
    var fractionDigits = 0
    var exponentDigits = 0

    init(values: [Double], isFloat32: Bool) {
        self.isFloat32 = isFloat32
        let finite = values.filter { $0.isFinite }
        let magnitudes = finite.map { Swift.abs($0) }.filter { $0 != 0 }
        if let maxValue = magnitudes.max(), let minValue = magnitudes.min() {
            scientific = maxValue >= 1e8 || minValue < 0.0001 || maxValue / minValue > 1000
        } else {
            scientific = false
        }
        if scientific {
            let parts = finite.map { FloatFormat.scientificParts($0, isFloat32: isFloat32) }
            padLeft = parts.map(\.integer.count).max() ?? 0
            fractionDigits = parts.map(\.fraction.count).max() ?? 0
            exponentDigits = parts.map { String(Swift.abs($0.exponent)).count }.max().map { Swift.max($0, 2) } ?? 2
            padRight = exponentDigits + 2 + fractionDigits
        } else {
            let parts = finite.map { FloatFormat.positionalParts($0, isFloat32: isFloat32) }
            padLeft = parts.map(\.integer.count).max() ?? 0
            padRight = parts.map(\.fraction.count).max() ?? 0
        }
        if finite.count != values.count {
            let negativeInfinity = values.contains { $0 == -.infinity } ? 1 : 0
            let offset = padRight + 1
            padLeft = Swift.max(padLeft, 3 - offset, 3 + negativeInfinity - offset)
        }
    }

    func text(_ x: Double) -> String {
        if !x.isFinite {
            let word = x.isNaN ? "nan" : (x < 0 ? "-inf" : "inf")
            return leftPad(word, padLeft + padRight + 1)
        }
        if scientific {
            // Every value gets the same number of fraction digits; values with fewer shortest
            // digits print more of their exact value (NumPy's `min_digits`), so a float32 2e-5
            // next to a 7-digit value reads 1.9999999e-05.
            let parts = FloatFormat.splitScientific(String(format: "%.\(fractionDigits)e", x))
            let exponent = String(repeating: "0", count: Swift.max(0, exponentDigits - parts.exponentDigits.count)) + parts.exponentDigits
            return leftPad(parts.integer, padLeft) + "." + parts.fraction + "e" + parts.exponentSign + exponent
        }
        let parts = FloatFormat.positionalParts(x, isFloat32: isFloat32)
        return leftPad(parts.integer, padLeft) + "." + rightPad(parts.fraction, padRight)
    }

    /// The shortest round-trip decimal digits of `x` (no leading or trailing zeros; empty for
    /// zero) and the position of the decimal point: `x = ±0.d1d2d3... × 10^point`.
    static func shortestDigits(_ x: Double, isFloat32: Bool) -> (negative: Bool, digits: [Character], point: Int) {
        let text = isFloat32 ? Float(x).description : x.description
        var body = Substring(text)
        let negative = body.first == "-"
        if negative { body = body.dropFirst() }
        var exponent = 0
        if let e = body.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(body[body.index(after: e)...]) ?? 0
            body = body[..<e]
        }
        let integerPart = body.prefix { $0 != "." }
        let fractionPart = body.dropFirst(integerPart.count + 1)
        var digits = Array(integerPart) + Array(fractionPart)
        var point = integerPart.count + exponent
        while digits.first == "0" {
            digits.removeFirst()
            point -= 1
        }
        while digits.last == "0" { digits.removeLast() }
        if digits.isEmpty { point = 0 }
        return (negative, digits, point)
    }

    /// Positional text split at the point, with at most ``precision`` fraction digits
    /// (rounded) and trailing zeros removed: `-2.25` gives ("-2", "25"), `3` gives ("3", "").
    static func positionalParts(_ x: Double, isFloat32: Bool) -> (integer: String, fraction: String) {
        let (negative, digits, point) = shortestDigits(x, isFloat32: isFloat32)
        let sign = negative ? "-" : ""
        if digits.count - point > precision {
            // Too many digits: round the exact value, as NumPy's Dragon4 does.
            let rounded = String(format: "%.\(precision)f", x)
            let integer = rounded.prefix { $0 != "." }
            var fraction = String(rounded.dropFirst(integer.count + 1))
            while fraction.last == "0" { fraction.removeLast() }
            let integerText = integer == "-0" && !negative ? "0" : String(integer)
            return (integerText, fraction)
        }
        let integer: String
        let fraction: String
        if point <= 0 {
            integer = "0"
            fraction = String(repeating: "0", count: -point) + String(digits)
        } else if point >= digits.count {
            integer = String(digits) + String(repeating: "0", count: point - digits.count)
            fraction = ""
        } else {
            integer = String(digits[..<point])
            fraction = String(digits[point...])
        }
        return (sign + (integer.isEmpty ? "0" : integer), fraction)
    }

    /// Scientific text parts: `1.5e-05` gives ("1", "5", -5); at most ``precision`` fraction
    /// digits (rounded), trailing zeros removed.
    static func scientificParts(_ x: Double, isFloat32: Bool) -> (integer: String, fraction: String, exponent: Int) {
        let (negative, digits, point) = shortestDigits(x, isFloat32: isFloat32)
        let sign = negative ? "-" : ""
        if digits.isEmpty { return (sign + "0", "", 0) }
        if digits.count - 1 > precision {
            // Too many digits: round the exact value, as NumPy's Dragon4 does.
            let parts = splitScientific(String(format: "%.\(precision)e", x))
            var fraction = parts.fraction
            while fraction.last == "0" { fraction.removeLast() }
            let exponent = (Int(parts.exponentDigits) ?? 0) * (parts.exponentSign == "-" ? -1 : 1)
            return (parts.integer, fraction, exponent)
        }
        return (sign + String(digits[0]), String(digits.dropFirst()), point - 1)
    }

    /// Splits printf's `%e` text (`-1.2345e+05`, `1e-07`) into its parts.
    static func splitScientific(_ text: String) -> (integer: String, fraction: String, exponentSign: String, exponentDigits: String) {
        let mantissa = text.prefix { $0 != "e" }
        let exponent = text.dropFirst(mantissa.count + 1)
        let integer = mantissa.prefix { $0 != "." }
        let fraction = mantissa.dropFirst(integer.count + 1)
        let sign = exponent.first == "-" ? "-" : "+"
        let digits = exponent.drop { $0 == "+" || $0 == "-" }
        return (String(integer), String(fraction), sign, String(digits))
    }
}
