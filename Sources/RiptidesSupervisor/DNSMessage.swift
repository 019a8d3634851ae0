import RiptidesProfile

/// Just enough of DNS (RFC 1035) for the proxy: the question of a query,
/// a REFUSED answer to it, and the addresses in a response.
enum DNSMessage {
    struct Question: Equatable {
        /// Lower case, no trailing dot.
        var name: String
        var type: UInt16
    }

    static func id(_ message: [UInt8]) -> UInt16? {
        message.count >= 12 ? UInt16(message[0]) << 8 | UInt16(message[1]) : nil
    }

    static func setID(_ id: UInt16, in message: inout [UInt8]) {
        message[0] = UInt8(id >> 8)
        message[1] = UInt8(id & 0xff)
    }

    /// The one question of a standard query; nil for anything else (a
    /// response, several questions, a malformed name).
    /// Only a standard query (opcode QUERY) with no answer or authority
    /// records and at most one additional (EDNS OPT) record: nothing else
    /// rides along to the nameserver.
    static func question(ofQuery message: [UInt8]) -> Question? {
        guard message.count >= 12, message[2] & 0x80 == 0, message[2] & 0x78 == 0, count(message, at: 4) == 1,
              count(message, at: 6) == 0, count(message, at: 8) == 0, count(message, at: 10) <= 1 else { return nil }
        var offset = 12
        guard let name = readName(message, at: &offset), offset + 4 <= message.count else { return nil }
        let question = Question(name: name, type: count(message, at: offset))
        offset += 4
        // Nothing may follow but one EDNS OPT record (root name, type 41).
        if count(message, at: 10) == 1 {
            guard offset + 11 <= message.count, message[offset] == 0, count(message, at: offset + 1) == 41 else { return nil }
            offset += 11 + Int(count(message, at: offset + 9))
        }
        return offset == message.count ? question : nil
    }

    /// The one question a response repeats (nil when it has not exactly one).
    static func question(ofResponse message: [UInt8]) -> Question? {
        guard message.count >= 12, count(message, at: 4) == 1 else { return nil }
        var offset = 12
        guard let name = readName(message, at: &offset), offset + 4 <= message.count else { return nil }
        return Question(name: name, type: count(message, at: offset))
    }

    /// A response to `query` with RCODE 5 (REFUSED) and no records.
    static func refused(_ query: [UInt8]) -> [UInt8] {
        var offset = 12
        _ = readName(query, at: &offset)
        var response = Array(query.prefix(min(offset + 4, query.count)))
        response[2] = 0x80 | (query[2] & 0x79)  // QR, opcode and RD kept
        response[3] = 0x80 | 5                   // RA, REFUSED
        for i in 6..<12 { response[i] = 0 }       // no answer, authority, additional
        return response
    }

    /// The IPv4 and IPv6 addresses in the answer section of `response`.
    static func addresses(inResponse message: [UInt8]) -> [IPAddress] {
        guard message.count >= 12 else { return [] }
        var offset = 12
        for _ in 0..<count(message, at: 4) {
            guard readName(message, at: &offset) != nil else { return [] }
            offset += 4
        }
        var result: [IPAddress] = []
        for _ in 0..<count(message, at: 6) {
            guard readName(message, at: &offset) != nil, offset + 10 <= message.count else { break }
            let type = count(message, at: offset)
            let length = Int(count(message, at: offset + 8))
            offset += 10
            guard offset + length <= message.count else { break }
            if type == 1 && length == 4 {
                result.append(.v4(message[offset..<offset + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }))
            } else if type == 28 && length == 16 {
                let high = message[offset..<offset + 8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                let low = message[offset + 8..<offset + 16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                result.append(.v6(high: high, low: low))
            }
            offset += length
        }
        return result
    }

    private static func count(_ message: [UInt8], at offset: Int) -> UInt16 {
        offset + 1 < message.count ? UInt16(message[offset]) << 8 | UInt16(message[offset + 1]) : 0
    }

    /// Reads a possibly compressed name; `offset` ends after it.
    static func readName(_ message: [UInt8], at offset: inout Int) -> String? {
        var labels: [String] = []
        var position = offset
        var jumped = false
        var jumps = 0
        while true {
            guard position < message.count else { return nil }
            let length = Int(message[position])
            if length == 0 {
                if !jumped { offset = position + 1 }
                break
            }
            if length & 0xc0 == 0xc0 {
                guard position + 1 < message.count, jumps < 16 else { return nil }
                if !jumped { offset = position + 2 }
                position = (length & 0x3f) << 8 | Int(message[position + 1])
                jumped = true
                jumps += 1
                continue
            }
            guard length <= 63, position + 1 + length <= message.count else { return nil }
            // The name decided on must be the name sent: a label holding a
            // dot, or a byte outside printable ASCII, would read as another.
            let label = message[(position + 1)...(position + length)]
            guard label.allSatisfy({ $0 > 0x20 && $0 < 0x7f && $0 != UInt8(ascii: ".") }) else { return nil }
            labels.append(String(decoding: label.map { $0 >= 0x41 && $0 <= 0x5a ? $0 | 0x20 : $0 }, as: UTF8.self))
            position += 1 + length
        }
        let name = labels.joined(separator: ".")
        return name.utf8.count <= 253 ? name : nil
    }
}
