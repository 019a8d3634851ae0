/// Host names (exact names, or the apexes of `*.` wildcards) to port tables,
/// in an open-addressing hash table keyed by a hash computed from the last
/// byte of a name to the first.
///
/// Hashing right to left means one pass over a queried name yields the hash
/// of every suffix that follows a dot, which is what wildcard lookup needs,
/// without building substrings. Names are compared byte for byte after the
/// hash matches, so a hash collision never confuses two names.
struct HostIndex: Sendable {
    private var slots: [Int32]
    private var hashes: [UInt64]
    private var mask: Int
    /// The names, lower case, back to back.
    private var bytes: [UInt8] = []
    private var nameStart: [Int32] = []
    private var nameEnd: [Int32] = []
    private(set) var tables: [Int32] = []
    private(set) var names: [String] = []

    init(_ entries: [(name: String, table: Int32)]) {
        var capacity = 8
        while capacity < entries.count * 2 { capacity <<= 1 }
        slots = [Int32](repeating: -1, count: capacity)
        hashes = [UInt64](repeating: 0, count: capacity)
        mask = capacity - 1
        for (name, table) in entries {
            let entry = Int32(tables.count)
            nameStart.append(Int32(bytes.count))
            bytes.append(contentsOf: name.utf8)
            nameEnd.append(Int32(bytes.count))
            tables.append(table)
            names.append(name)
            let hash = Self.hash(name.utf8)
            var slot = Int(truncatingIfNeeded: hash) & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = entry
            hashes[slot] = hash
        }
    }

    var isEmpty: Bool { tables.isEmpty }

    static let offsetBasis: UInt64 = 0xcbf2_9ce4_8422_2325
    static let prime: UInt64 = 0x0000_0100_0000_01b3

    /// FNV-1a over the bytes from last to first, letters folded to lower case.
    static func hash(_ utf8: some BidirectionalCollection<UInt8>) -> UInt64 {
        var hash = offsetBasis
        for byte in utf8.reversed() { hash = (hash ^ UInt64(lowercased(byte))) &* prime }
        return hash
    }

    @inline(__always)
    static func lowercased(_ byte: UInt8) -> UInt8 {
        byte &- 65 < 26 ? byte | 0x20 : byte
    }

    /// The entry whose name equals `name[from..<to]` (compared case-insensitively), or -1.
    @inline(__always)
    func find(hash: UInt64, in name: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> Int32 {
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let entry = slots[slot]
            if entry < 0 { return -1 }
            if hashes[slot] == hash, equals(entry, name, from, to) { return entry }
            slot = (slot + 1) & mask
        }
    }

    @inline(__always)
    private func equals(_ entry: Int32, _ name: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> Bool {
        let start = Int(nameStart[Int(entry)]), end = Int(nameEnd[Int(entry)])
        guard end - start == to - from else { return false }
        var i = start, j = from
        while i < end {
            if bytes[i] != Self.lowercased(name[j]) { return false }
            i += 1
            j += 1
        }
        return true
    }
}
