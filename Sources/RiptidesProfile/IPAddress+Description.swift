extension IPAddress: CustomStringConvertible {
    /// Canonical text: dotted decimal for IPv4; RFC 5952 for IPv6 (lower case,
    /// no leading zeros, the longest run of two or more zero groups as `::`,
    /// and IPv4-mapped addresses as `::ffff:a.b.c.d`).
    public var description: String {
        if family == .v4 { return Self.dottedDecimal(UInt32(truncatingIfNeeded: low)) }
        if let mapped = unmappedIPv4 { return "::ffff:" + mapped.description }
        var groups = [UInt16](repeating: 0, count: 8)
        for i in 0..<4 {
            groups[i] = UInt16(truncatingIfNeeded: high >> (48 - 16 * UInt64(i)))
            groups[i + 4] = UInt16(truncatingIfNeeded: low >> (48 - 16 * UInt64(i)))
        }
        // The first longest run of at least two zero groups is compressed.
        var bestStart = -1, bestLength = 1
        var runStart = -1
        for i in 0...8 {
            if i < 8, groups[i] == 0 {
                if runStart < 0 { runStart = i }
            } else if runStart >= 0 {
                if i - runStart > bestLength { bestStart = runStart; bestLength = i - runStart }
                runStart = -1
            }
        }
        func hex(_ range: Range<Int>) -> String {
            groups[range].map { String($0, radix: 16) }.joined(separator: ":")
        }
        if bestStart < 0 { return hex(0..<8) }
        return hex(0..<bestStart) + "::" + hex((bestStart + bestLength)..<8)
    }

    static func dottedDecimal(_ value: UInt32) -> String {
        "\(value >> 24).\(value >> 16 & 0xFF).\(value >> 8 & 0xFF).\(value & 0xFF)"
    }
}
