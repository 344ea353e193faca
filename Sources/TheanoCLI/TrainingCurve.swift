import Foundation

/// The loss and test accuracy of each epoch, drawn as an SVG line chart (`theano demo --plot`).
struct TrainingCurve {
    let model: String
    private(set) var losses: [Double] = []
    private(set) var accuracies: [Double] = []

    init(model: String) {
        self.model = model
    }

    mutating func append(loss: Double, accuracy: Double) {
        losses.append(loss)
        accuracies.append(accuracy)
    }

    /// Two panels side by side: training loss (log scale) and test accuracy, by epoch.
    func svg() -> String {
        let panelWidth = 360.0, height = 260.0, margin = 48.0
        var parts: [String] = []
        parts.append(##"<svg xmlns="http://www.w3.org/2000/svg" width="\##(Int(2 * panelWidth))" height="\##(Int(height))" font-family="sans-serif" font-size="12">"##)
        parts.append(##"<rect width="100%" height="100%" fill="white"/>"##)
        let logLosses = losses.map { log10(Swift.max($0, 1e-12)) }
        parts.append(panel(x0: 0, values: logLosses, title: "\(model): training loss (log10)", color: "#1f77b4",
                           width: panelWidth, height: height, margin: margin))
        parts.append(panel(x0: panelWidth, values: accuracies, title: "\(model): test accuracy", color: "#d62728",
                           width: panelWidth, height: height, margin: margin))
        parts.append("</svg>")
        return parts.joined(separator: "\n") + "\n"
    }

    private func panel(x0: Double, values: [Double], title: String, color: String, width: Double, height: Double, margin: Double) -> String {
        let finite = values.filter(\.isFinite)
        var low = finite.min() ?? 0, high = finite.max() ?? 1
        if high - low < 1e-9 { low -= 0.5; high += 0.5 }
        let plotW = width - 2 * margin, plotH = height - 2 * margin
        func px(_ i: Int) -> Double { x0 + margin + (values.count > 1 ? Double(i) / Double(values.count - 1) : 0.5) * plotW }
        func py(_ v: Double) -> Double { margin + (1 - (v - low) / (high - low)) * plotH }
        var s = ##"<text x="\##(x0 + margin)" y="\##(margin / 2)">\##(escape(title))</text>"##
        s += ##"<rect x="\##(x0 + margin)" y="\##(margin)" width="\##(plotW)" height="\##(plotH)" fill="none" stroke="#888"/>"##
        s += ##"<text x="\##(x0 + 4)" y="\##(margin + 4)">\##(String(format: "%.3g", high))</text>"##
        s += ##"<text x="\##(x0 + 4)" y="\##(margin + plotH)">\##(String(format: "%.3g", low))</text>"##
        s += ##"<text x="\##(x0 + margin)" y="\##(height - margin / 3)">epoch 1</text>"##
        s += ##"<text x="\##(x0 + margin + plotW - 60)" y="\##(height - margin / 3)">epoch \##(values.count)</text>"##
        let points = values.enumerated().filter { $0.element.isFinite }
            .map { String(format: "%.1f,%.1f", px($0.offset), py($0.element)) }.joined(separator: " ")
        s += ##"<polyline fill="none" stroke="\##(color)" stroke-width="2" points="\##(points)"/>"##
        return s
    }

    private func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
    }
}
