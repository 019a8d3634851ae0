/// Builds one JSON object as text, field by field, without Foundation's
/// encoder: the supervisor writes one of these per trapped call.
public struct JSONLine: Sendable {
    private(set) var text: String

    public init() {
        text = "{"
        text.reserveCapacity(384)
    }

    private mutating func key(_ name: StaticString) {
        if text.utf8.count > 1 { text.append(",") }
        text.append("\"")
        text.append(name.description)
        text.append("\":")
    }

    public mutating func add(_ name: StaticString, _ value: String?) {
        key(name)
        guard let value else { text.append("null"); return }
        Self.appendQuoted(value, to: &text)
    }

    public mutating func add<I: BinaryInteger>(_ name: StaticString, _ value: I?) {
        key(name)
        guard let value else { text.append("null"); return }
        text.append(String(value))
    }

    public mutating func add(_ name: StaticString, _ values: [String]) {
        key(name)
        text.append("[")
        for (i, v) in values.enumerated() {
            if i > 0 { text.append(",") }
            Self.appendQuoted(v, to: &text)
        }
        text.append("]")
    }

    /// Adds a nested object of integer counters.
    public mutating func add(_ name: StaticString, counters: [(String, Int)]) {
        key(name)
        text.append("{")
        for (i, (k, v)) in counters.enumerated() {
            if i > 0 { text.append(",") }
            Self.appendQuoted(k, to: &text)
            text.append(":")
            text.append(String(v))
        }
        text.append("}")
    }

    /// The finished line, with its newline.
    public var line: String { text + "}\n" }

    static func appendQuoted(_ value: String, to text: inout String) {
        text.append("\"")
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text.append("\\\"")
            case "\\": text.append("\\\\")
            case "\n": text.append("\\n")
            case "\r": text.append("\\r")
            case "\t": text.append("\\t")
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                text.append("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
            default: text.unicodeScalars.append(scalar)
            }
        }
        text.append("\"")
    }
}
