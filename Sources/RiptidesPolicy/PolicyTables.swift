/// The compiled lookup structures of an ``EgressPolicy``; immutable once built.
final class PolicyTables: Sendable {
    let rules: [CompiledRule]
    let portTables: PortTables
    let v4: PrefixTable<UInt32>
    let v6: PrefixTable<UInt128>
    let exactHosts: HostIndex
    let wildcardHosts: HostIndex
    /// For each socket path: the first deny and first allow rule naming it.
    let unixPaths: [String: (deny: Int32, allow: Int32)]

    init(
        rules: [CompiledRule], portTables: PortTables, v4: PrefixTable<UInt32>, v6: PrefixTable<UInt128>,
        exactHosts: HostIndex, wildcardHosts: HostIndex, unixPaths: [String: (deny: Int32, allow: Int32)]
    ) {
        self.rules = rules
        self.portTables = portTables
        self.v4 = v4
        self.v6 = v6
        self.exactHosts = exactHosts
        self.wildcardHosts = wildcardHosts
        self.unixPaths = unixPaths
    }

    var hasHosts: Bool { !(exactHosts.isEmpty && wildcardHosts.isEmpty) }

    /// Calls `visit` with the port table of every host entry matching `host`:
    /// its exact entry and the wildcard entry of every apex above it, found in
    /// one right-to-left pass without building substrings.
    @inline(__always)
    func forEachHostTable<Visitor: HostTableVisitor>(_ host: String, _ visitor: inout Visitor) {
        if host.utf8.withContiguousStorageIfAvailable({ scan($0, &visitor) }) == nil {
            var copy = host
            copy.withUTF8 { scan($0, &visitor) }
        }
    }

    @inline(__always)
    private func scan<Visitor: HostTableVisitor>(_ name: UnsafeBufferPointer<UInt8>, _ visitor: inout Visitor) {
        var end = name.count
        if end > 0, name[end - 1] == UInt8(ascii: ".") { end -= 1 }
        guard end > 0 else { return }
        var hash = HostIndex.offsetBasis
        var index = end - 1
        let wildcards = !wildcardHosts.isEmpty
        while index >= 0 {
            let byte = name[index]
            if wildcards, byte == UInt8(ascii: "."), index > 0 {
                // `hash` covers name[index+1..<end], a proper suffix: try it as a wildcard apex.
                let entry = wildcardHosts.find(hash: hash, in: name, from: index + 1, to: end)
                if entry >= 0 { visitor.visit(wildcardHosts.tables[Int(entry)], in: self) }
            }
            hash = (hash ^ UInt64(HostIndex.lowercased(byte))) &* HostIndex.prime
            index -= 1
        }
        let entry = exactHosts.find(hash: hash, in: name, from: 0, to: end)
        if entry >= 0 { visitor.visit(exactHosts.tables[Int(entry)], in: self) }
    }
}

/// Receives the port tables of the host entries that match a name.
protocol HostTableVisitor {
    mutating func visit(_ table: Int32, in tables: PolicyTables)
}
