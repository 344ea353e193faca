import Foundation
import Theano

/// The UCI optical handwritten digits (8x8 images, 1,797 examples, CC BY 4.0), bundled with
/// the package: see `Resources/README.md`.
public enum Digits {
    /// The bundled `digits.csv.gz`.
    public static var bundledFile: URL? {
        Bundle.module.url(forResource: "digits.csv", withExtension: "gz")
    }

    /// Loads the digits with the standard split: row `i` is a test example when `i % 5 == 4`.
    /// Pixels are scaled from 0...16 to 0...1 (float32); labels are int64.
    ///
    /// - Parameter url: a `.csv` or `.csv.gz` file in the same format; the bundled file if nil.
    public static func load(from url: URL? = nil) throws -> (train: Dataset, test: Dataset) {
        guard let file = url ?? bundledFile else {
            throw TheanoError.io("digits: the bundled data file is missing from the package resources")
        }
        let raw: Data
        do { raw = try Data(contentsOf: file) } catch {
            throw TheanoError.io("digits: cannot read \(file.path): \(error.localizedDescription)")
        }
        let text = file.pathExtension == "gz" ? try gunzip(raw) : raw
        let rows = try parse(String(decoding: text, as: UTF8.self), file: file.lastPathComponent)
        let test = rows.indices.filter { $0 % 5 == 4 }
        let train = rows.indices.filter { $0 % 5 != 4 }
        return (try dataset(rows, train), try dataset(rows, test))
    }

    private static func parse(_ text: String, file: String) throws -> [[Int]] {
        var rows: [[Int]] = []
        for (number, line) in text.split(whereSeparator: \.isNewline).enumerated() {
            let fields = line.split(separator: ",")
            let values = fields.compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard fields.count == 65, values.count == 65,
                  values[..<64].allSatisfy({ (0...16).contains($0) }), (0...9).contains(values[64]) else {
                throw TheanoError.io("digits: line \(number + 1) of \(file) is not 64 pixels in 0...16 and a label in 0...9")
            }
            rows.append(values)
        }
        guard !rows.isEmpty else { throw TheanoError.io("digits: \(file) holds no examples") }
        return rows
    }

    private static func dataset(_ rows: [[Int]], _ indices: [Int]) throws -> Dataset {
        let pixels = indices.flatMap { rows[$0][..<64].map { Float($0) / 16 } }
        let labels = indices.map { Int64(rows[$0][64]) }
        return try Dataset(inputs: NDArray(pixels, shape: [indices.count, 64]), labels: NDArray(labels))
    }
}
