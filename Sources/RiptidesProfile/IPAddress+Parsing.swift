extension IPAddress {
    /// Parses the textual forms of an address.
    ///
    /// IPv4: dotted decimal `a.b.c.d`, as `inet_pton` reads it (no leading
    /// zeros, which some parsers read as octal, and no shortened forms such as
    /// `127.1`). IPv6: every RFC 4291 form, in any letter case: full, with
    /// leading zeros, compressed with `::`, and with an embedded dotted IPv4
    /// tail. Zone ids (`%eth0`) and brackets are not accepted.
    public init?(_ text: String) {
        let utf8 = Array(text.utf8)
        if utf8.contains(UInt8(ascii: ":")) {
            guard let (high, low) = utf8.withUnsafeBufferPointer({ Self.parseIPv6($0) }) else { return nil }
            self = .v6(high: high, low: low)
        } else {
            guard let value = utf8.withUnsafeBufferPointer({ Self.parseIPv4($0[...]) }) else { return nil }
            self = .v4(value)
        }
    }

    /// Dotted-decimal IPv4, four parts of 0...255 without leading zeros.
    static func parseIPv4(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> UInt32? {
        var value: UInt32 = 0
        var parts = 0
        var part: UInt32 = 0
        var digits = 0
        var firstDigitIsZero = false
        for byte in bytes {
            if byte == UInt8(ascii: ".") {
                guard digits > 0, parts < 3 else { return nil }
                value = value << 8 | part
                parts += 1
                part = 0
                digits = 0
            } else if byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
                if digits == 0 { firstDigitIsZero = byte == UInt8(ascii: "0") } else if firstDigitIsZero { return nil }
                part = part * 10 + UInt32(byte - UInt8(ascii: "0"))
                digits += 1
                guard digits <= 3, part <= 255 else { return nil }
            } else {
                return nil
            }
        }
        guard digits > 0, parts == 3 else { return nil }
        return value << 8 | part
    }

    /// RFC 4291 section 2.2 text forms.
    static func parseIPv6(_ bytes: UnsafeBufferPointer<UInt8>) -> (UInt64, UInt64)? {
        var head: [UInt16] = []
        var tail: [UInt16] = []
        var sawDoubleColon = false
        var index = 0
        let count = bytes.count
        if count >= 2, bytes[0] == UInt8(ascii: ":"), bytes[1] == UInt8(ascii: ":") {
            sawDoubleColon = true
            index = 2
        } else if count >= 1, bytes[0] == UInt8(ascii: ":") {
            return nil
        }
        while index < count {
            // One group: up to four hex digits, or a dotted IPv4 tail.
            let start = index
            var value: UInt32 = 0
            while index < count, let digit = hexValue(bytes[index]) {
                value = value << 4 | UInt32(digit)
                index += 1
                guard index - start <= 4 else { return nil }
            }
            if index < count, bytes[index] == UInt8(ascii: ".") {
                // Dotted IPv4 tail: must run to the end and fit in the last two groups.
                guard let v4 = parseIPv4(bytes[start..<count]) else { return nil }
                let groups = [UInt16(truncatingIfNeeded: v4 >> 16), UInt16(truncatingIfNeeded: v4)]
                if sawDoubleColon { tail += groups } else { head += groups }
                index = count
                break
            }
            let length = index - start
            guard length >= 1, length <= 4 else { return nil }
            if sawDoubleColon { tail.append(UInt16(value)) } else { head.append(UInt16(value)) }
            if index == count { break }
            guard bytes[index] == UInt8(ascii: ":") else { return nil }
            index += 1
            if index < count, bytes[index] == UInt8(ascii: ":") {
                guard !sawDoubleColon else { return nil }
                sawDoubleColon = true
                index += 1
                if index == count { break }
            } else if index == count {
                return nil  // a single trailing colon
            }
        }
        let groups: [UInt16]
        if sawDoubleColon {
            guard head.count + tail.count <= 7 else { return nil }
            groups = head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        } else {
            guard head.count == 8 else { return nil }
            groups = head
        }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for group in groups[0..<4] { high = high << 16 | UInt64(group) }
        for group in groups[4..<8] { low = low << 16 | UInt64(group) }
        return (high, low)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
