import Foundation

/// The header of a `.npy` file: what NumPy's `np.lib.format` writes before the raw elements.
///
/// The format (versions 1.0, 2.0 and 3.0) is:
/// - the magic string `\x93NUMPY`, then one byte each for the major and minor version;
/// - the header length: a little-endian `UInt16` (version 1.0) or `UInt32` (2.0 and 3.0);
/// - the header: a Python dict literal such as
///   `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`, padded with spaces and a
///   newline so the data starts on a 64-byte boundary; Latin-1 text in 1.0 and 2.0, UTF-8 in 3.0;
/// - the elements, in C order or (when `fortran_order` is true) Fortran order.
struct NPYHeader: Equatable {
    var dtype: DType
    var fortranOrder: Bool
    var shape: [Int]

    /// The bytes every `.npy` file starts with.
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // "\x93NUMPY"

    /// NumPy's type string for a dtype, as written in the `descr` field (always little-endian).
    static func descr(for dtype: DType) -> String {
        switch dtype {
        case .bool: return "|b1"
        case .uint8: return "|u1"
        case .int8: return "|i1"
        case .int16: return "<i2"
        case .int32: return "<i4"
        case .int64: return "<i8"
        case .float32: return "<f4"
        case .float64: return "<f8"
        }
    }

    /// The dtype of a `descr` string: type strings (`<f4`, `|b1`, `i8`, `=i4`), one-character
    /// codes (`?`, `b`, `B`, `h`, `i`, `l`, `q`, `p`, `f`, `d`) and NumPy's names (`float32`;
    /// `float` and `double` are float64, `int` is int64). Big-endian and unsupported types throw.
    static func dtype(forDescr descr: String) throws -> DType {
        let names: [String: DType] = [
            "bool": .bool, "uint8": .uint8, "int8": .int8, "int16": .int16, "int32": .int32,
            "int64": .int64, "int": .int64, "float32": .float32, "single": .float32,
            "float64": .float64, "float": .float64, "double": .float64,
        ]
        if let named = names[descr] { return named }
        var body = Substring(descr)
        var order: Character = "="
        if let first = body.first, "<>|=".contains(first) {
            order = first
            body = body.dropFirst()
        }
        let codes: [String: DType] = [
            "b1": .bool, "?": .bool,
            "u1": .uint8, "B": .uint8,
            "i1": .int8, "b": .int8,
            "i2": .int16, "h": .int16,
            "i4": .int32, "i": .int32,
            "i8": .int64, "l": .int64, "q": .int64, "p": .int64,
            "f4": .float32, "f": .float32,
            "f8": .float64, "d": .float64,
        ]
        guard let dtype = codes[String(body)] else {
            throw TheanoError.io(
                "unsupported dtype '\(descr)': only bool, uint8, int8, int16, int32, int64, float32 and float64 can be read (\(supportedDescrs))")
        }
        if order == ">" && dtype.byteSize > 1 {
            throw TheanoError.io(
                "big-endian dtype '\(descr)' is not supported; save the array little-endian (in NumPy: a.astype(a.dtype.newbyteorder('<')))")
        }
        return dtype
    }

    static let supportedDescrs = "'|b1', '|u1', '|i1', '<i2', '<i4', '<i8', '<f4', '<f8'"

    /// The header dict text, without padding: `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`.
    var dictText: String {
        let shapeText: String
        switch shape.count {
        case 0: shapeText = "()"
        case 1: shapeText = "(\(shape[0]),)"
        default: shapeText = "(" + shape.map(String.init).joined(separator: ", ") + ")"
        }
        let order = fortranOrder ? "True" : "False"
        return "{'descr': '\(NPYHeader.descr(for: dtype))', 'fortran_order': \(order), 'shape': \(shapeText), }"
    }

    /// Reads the header fields from the dict text; throws an `.io` error naming what is wrong.
    init(dictText text: String) throws {
        let literal: PythonLiteral
        do {
            var parser = PythonLiteralParser(text)
            literal = try parser.parseDocument()
        } catch let error as PythonLiteralParser.ParseError {
            throw TheanoError.io("the header is not a valid Python dict literal (\(error.message)): \(NPYHeader.excerpt(text))")
        }
        guard case .dict(let entries) = literal else {
            throw TheanoError.io("the header is not a dict: \(NPYHeader.excerpt(text))")
        }
        func value(_ key: String) throws -> PythonLiteral {
            guard let v = entries.last(where: { $0.key == key })?.value else {
                throw TheanoError.io("the header has no '\(key)' key (it needs 'descr', 'fortran_order' and 'shape'): \(NPYHeader.excerpt(text))")
            }
            return v
        }

        guard case .string(let descr) = try value("descr") else {
            throw TheanoError.io(
                "unsupported dtype \(try value("descr")): structured dtypes cannot be read (supported: \(NPYHeader.supportedDescrs))")
        }
        dtype = try NPYHeader.dtype(forDescr: descr)

        guard case .bool(let fortran) = try value("fortran_order") else {
            throw TheanoError.io("'fortran_order' must be True or False, got \(try value("fortran_order"))")
        }
        fortranOrder = fortran

        let shapeValue = try value("shape")
        let sizes: [PythonLiteral]
        switch shapeValue {
        case .tuple(let items), .list(let items): sizes = items
        default: throw TheanoError.io("'shape' must be a tuple of integers, got \(shapeValue)")
        }
        shape = try sizes.map { item in
            guard case .integer(let n) = item else {
                throw TheanoError.io("'shape' must be a tuple of integers, got \(shapeValue)")
            }
            guard n >= 0 else { throw TheanoError.io("'shape' \(shapeValue) has a negative size") }
            return n
        }
    }

    init(dtype: DType, fortranOrder: Bool, shape: [Int]) {
        self.dtype = dtype
        self.fortranOrder = fortranOrder
        self.shape = shape
    }

    /// The start of a header for error messages (headers can be long when corrupt).
    static func excerpt(_ text: String) -> String {
        let trimmed = text.trimmingCharacters(in: CharacterSet.whitespacesAndNewlines.union(CharacterSet(charactersIn: "\0")))
        let short = trimmed.count > 120 ? String(trimmed.prefix(120)) + "..." : trimmed
        return "\"" + short + "\""
    }
}

// MARK: - Python literals

/// The subset of Python literals that `.npy` headers use: strings, integers, `True`, `False`,
/// `None`, tuples, lists and dicts.
indirect enum PythonLiteral: CustomStringConvertible {
    case string(String)
    case integer(Int)
    case bool(Bool)
    case none
    case tuple([PythonLiteral])
    case list([PythonLiteral])
    case dict([(key: String, value: PythonLiteral)])

    /// Python's spelling of the value.
    var description: String {
        switch self {
        case .string(let s): return "'" + s + "'"
        case .integer(let n): return String(n)
        case .bool(let b): return b ? "True" : "False"
        case .none: return "None"
        case .tuple(let items):
            return items.count == 1 ? "(\(items[0]),)" : "(" + items.map(\.description).joined(separator: ", ") + ")"
        case .list(let items): return "[" + items.map(\.description).joined(separator: ", ") + "]"
        case .dict(let entries):
            return "{" + entries.map { "'\($0.key)': \($0.value)" }.joined(separator: ", ") + "}"
        }
    }
}

/// A small recursive-descent parser for ``PythonLiteral`` text. Whitespace may appear between
/// tokens, containers may end with a trailing comma, integers may carry Python 2's `L` suffix.
struct PythonLiteralParser {
    struct ParseError: Error {
        let message: String
    }

    private let chars: [Unicode.Scalar]
    private var position = 0
    private var depth = 0
    /// Deeper nesting than this is refused (a header never nests more than a few levels).
    private static let maxDepth = 32

    init(_ text: String) {
        chars = Array(text.unicodeScalars)
    }

    /// Parses one value followed only by whitespace (and the NUL padding some writers use).
    mutating func parseDocument() throws -> PythonLiteral {
        let value = try parseValue()
        skipWhitespace()
        while position < chars.count, chars[position] == "\0" { position += 1 }
        skipWhitespace()
        guard position == chars.count else { throw error("unexpected '\(chars[position])'") }
        return value
    }

    private func error(_ message: String) -> ParseError {
        ParseError(message: "\(message) at character \(position)")
    }

    private mutating func skipWhitespace() {
        while position < chars.count, chars[position].properties.isWhitespace { position += 1 }
    }

    private var current: Unicode.Scalar? { position < chars.count ? chars[position] : nil }

    private mutating func parseValue() throws -> PythonLiteral {
        skipWhitespace()
        guard let c = current else { throw error("unexpected end of text") }
        switch c {
        case "'", "\"": return .string(try parseString())
        case "(", "[", "{":
            depth += 1
            defer { depth -= 1 }
            guard depth <= PythonLiteralParser.maxDepth else { throw error("nesting too deep") }
            if c == "{" { return try parseDict() }
            return try parseSequence(open: c)
        case "-", "+", "0"..."9": return .integer(try parseInteger())
        default:
            let word = parseWord()
            switch word {
            case "True": return .bool(true)
            case "False": return .bool(false)
            case "None": return .none
            case "": throw error("unexpected '\(c)'")
            default: throw error("unexpected '\(word)'")
            }
        }
    }

    private mutating func parseWord() -> String {
        var word = ""
        while let c = current, c.properties.isAlphabetic || c == "_" || ("0"..."9").contains(c) {
            word.unicodeScalars.append(c)
            position += 1
        }
        return word
    }

    private mutating func parseString() throws -> String {
        guard let quote = current else { throw error("expected a string") }
        position += 1
        var out = ""
        while true {
            guard let c = current else { throw error("unterminated string") }
            position += 1
            if c == quote { return out }
            if c == "\\" {
                guard let escaped = current else { throw error("unterminated string") }
                position += 1
                switch escaped {
                case "n": out.unicodeScalars.append("\n")
                case "t": out.unicodeScalars.append("\t")
                case "\\", "'", "\"": out.unicodeScalars.append(escaped)
                default:
                    out.unicodeScalars.append("\\")
                    out.unicodeScalars.append(escaped)
                }
            } else {
                out.unicodeScalars.append(c)
            }
        }
    }

    private mutating func parseInteger() throws -> Int {
        var negative = false
        if current == "-" || current == "+" {
            negative = current == "-"
            position += 1
        }
        var value = 0
        var digits = 0
        while let c = current, ("0"..."9").contains(c) {
            let digit = Int(c.value - 48)
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (next, o2) = negative ? times10.subtractingReportingOverflow(digit) : times10.addingReportingOverflow(digit)
            guard !o1, !o2 else { throw error("integer too large") }
            value = next
            digits += 1
            position += 1
        }
        guard digits > 0 else { throw error("expected digits") }
        if current == "L" || current == "l" { position += 1 }  // Python 2 long
        if let c = current, c.properties.isAlphabetic || c == "." {
            throw error("expected an integer, found '\(c)'")
        }
        return value
    }

    /// Parses `(...)` or `[...]` (the opening bracket is current). A parenthesised single value
    /// without a comma is that value, as in Python.
    private mutating func parseSequence(open: Unicode.Scalar) throws -> PythonLiteral {
        let close: Unicode.Scalar = open == "(" ? ")" : "]"
        position += 1
        var items: [PythonLiteral] = []
        var sawComma = false
        while true {
            skipWhitespace()
            if current == close {
                position += 1
                break
            }
            items.append(try parseValue())
            skipWhitespace()
            if current == "," {
                sawComma = true
                position += 1
            } else if current == close {
                position += 1
                break
            } else {
                throw error(current.map { "expected ',' or '\(close)', found '\($0)'" } ?? "missing '\(close)'")
            }
        }
        if open == "[" { return .list(items) }
        if items.count == 1 && !sawComma { return items[0] }
        return .tuple(items)
    }

    private mutating func parseDict() throws -> PythonLiteral {
        position += 1
        var entries: [(key: String, value: PythonLiteral)] = []
        while true {
            skipWhitespace()
            if current == "}" {
                position += 1
                return .dict(entries)
            }
            guard current == "'" || current == "\"" else {
                throw error(current.map { "expected a string key, found '\($0)'" } ?? "missing '}'")
            }
            let key = try parseString()
            skipWhitespace()
            guard current == ":" else { throw error("expected ':' after key '\(key)'") }
            position += 1
            entries.append((key, try parseValue()))
            skipWhitespace()
            if current == "," {
                position += 1
            } else if current != "}" {
                throw error(current.map { "expected ',' or '}', found '\($0)'" } ?? "missing '}'")
            }
        }
    }
}
