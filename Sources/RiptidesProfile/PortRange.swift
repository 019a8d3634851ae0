/// An inclusive range of ports, `443` or `8000-8999`. Port 0 is never part of
/// a range: it is matched only by rules that allow any port.
public struct PortRange: Hashable, Sendable, CustomStringConvertible {
    public let lower: UInt16
    public let upper: UInt16

    /// A range of 1 ≤ lower ≤ upper ≤ 65535; nil otherwise.
    public init?(_ lower: UInt16, _ upper: UInt16) {
        guard lower >= 1, lower <= upper else { return nil }
        self.lower = lower
        self.upper = upper
    }

    /// Parses `PORT` or `LOW-HIGH` (decimal, 1 to 65535).
    public init(parsing text: String) throws(SyntaxError) {
        let parts = text.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        let lower = try Self.port(parts[0], in: text)
        let upper = parts.count == 2 ? try Self.port(parts[1], in: text) : lower
        guard lower <= upper else {
            throw SyntaxError("port range '\(text)' runs backwards; write it low-high, e.g. \(upper)-\(lower)")
        }
        self.lower = lower
        self.upper = upper
    }

    public func contains(_ port: UInt16) -> Bool {
        lower <= port && port <= upper
    }

    public var description: String { lower == upper ? "\(lower)" : "\(lower)-\(upper)" }

    private static func port(_ text: Substring, in whole: String) throws(SyntaxError) -> UInt16 {
        let trimmed = text.trimmingASCIISpaces()
        guard !trimmed.isEmpty, trimmed.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            throw SyntaxError("'\(whole)' is not a port; expected a number from 1 to 65535 or a range such as \"8000-8999\"")
        }
        guard trimmed.count <= 5, let value = Int(trimmed), value <= 65535 else {
            throw SyntaxError("port \(trimmed) in '\(whole)' is out of range; ports are 1 to 65535")
        }
        guard value >= 1 else {
            throw SyntaxError("port 0 in '\(whole)' is not a port a connection can use; omit 'ports' to allow any port")
        }
        return UInt16(value)
    }
}

extension Substring {
    func trimmingASCIISpaces() -> Substring {
        var s = self
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return s
    }
}
