import RiptidesProfile

/// For each destination key (a prefix, a host name, a wildcard apex), which
/// rules decide each port, per protocol: the table the hot path consults.
///
/// Table `t` has, for TCP then UDP, a run of disjoint port intervals that
/// together cover 0...65535; each interval carries the index of the first deny
/// rule and the first allow rule (in file order) that match it, or
/// ``PortTables/none``. Looking up a port is a short scan or a binary search,
/// whatever the number of rules naming the key.
struct PortTables: Sendable {
    /// Marks "no rule": larger than every rule index, so `min` combines tables.
    static let none = Int32.max

    /// Interval start ports; every protocol run starts at 0.
    private(set) var starts: [UInt16] = []
    private(set) var deny: [Int32] = []
    private(set) var allow: [Int32] = []
    /// For table t: runs[3t] is the TCP run's start, runs[3t+1] the UDP run's, runs[3t+2] the end.
    private(set) var runs: [Int32] = []

    var count: Int { runs.count / 3 }

    /// The bounds of table `table`'s run for `transport` in the interval arrays.
    @inline(__always)
    func run(_ table: Int32, _ transport: TransportProtocol) -> Range<Int> {
        let base = Int(table) * 3 + (transport == .tcp ? 0 : 1)
        return Int(runs[base])..<Int(runs[base + 1])
    }

    /// The first deny and first allow rule of `table` for `port` over `transport`.
    @inline(__always)
    func lookup(_ table: Int32, _ transport: TransportProtocol, _ port: UInt16) -> (deny: Int32, allow: Int32) {
        let index = intervalIndex(in: run(table, transport), port)
        return (deny[index], allow[index])
    }

    /// The index of the interval of `run` that holds `port`.
    @inline(__always)
    func intervalIndex(in run: Range<Int>, _ port: UInt16) -> Int {
        var low = run.lowerBound, high = run.upperBound
        if high - low <= 8 {
            var index = low
            while index + 1 < high, starts[index + 1] <= port { index += 1 }
            return index
        }
        // Last index with starts[index] <= port; starts[run.lowerBound] == 0 <= port.
        while high - low > 1 {
            let middle = (low + high) / 2
            if starts[middle] <= port { low = middle } else { high = middle }
        }
        return low
    }

    /// The inclusive upper port of interval `index` within `run`.
    func intervalEnd(_ index: Int, in run: Range<Int>) -> UInt16 {
        index + 1 < run.upperBound ? starts[index + 1] - 1 : UInt16.max
    }

    /// Adds a table for `candidates` (rules naming one key, in ascending index order) and returns its number.
    mutating func add(_ candidates: [CompiledRule]) -> Int32 {
        let table = Int32(count)
        for transport in TransportProtocol.allCases {
            runs.append(Int32(starts.count))
            appendRun(candidates.filter { $0.covers(transport) })
        }
        runs.append(Int32(starts.count))
        return table
    }

    /// Paints the elementary port intervals with the first deny and first allow rule covering them.
    private mutating func appendRun(_ candidates: [CompiledRule]) {
        var points: [Int] = [0]
        for candidate in candidates {
            for range in candidate.rule.ports ?? [] {
                points.append(Int(range.lower))
                if range.upper < UInt16.max { points.append(Int(range.upper) + 1) }
            }
        }
        points.sort()
        var unique: [Int] = []
        unique.reserveCapacity(points.count)
        for point in points where unique.last != point { unique.append(point) }
        var firstDeny = [Int32](repeating: Self.none, count: unique.count)
        var firstAllow = [Int32](repeating: Self.none, count: unique.count)
        // Candidates come in rule order, so the first to paint an interval is its first rule:
        // "next unpainted" links make each interval painted once per action.
        var nextDeny = Array(0...unique.count)
        var nextAllow = Array(0...unique.count)
        func find(_ next: inout [Int], _ start: Int) -> Int {
            var root = start
            while next[root] != root { root = next[root] }
            var node = start
            while next[node] != root { let following = next[node]; next[node] = root; node = following }
            return root
        }
        for candidate in candidates {
            let ranges: [(Int, Int)] = candidate.rule.ports.map { $0.map { (Int($0.lower), Int($0.upper)) } } ?? [(0, 65535)]
            for (lower, upper) in ranges {
                // Elementary intervals [first, last] exactly covering lower...upper.
                let first = Self.lastIndex(in: unique, notAfter: lower)
                let last = Self.lastIndex(in: unique, notAfter: upper)
                var index = first
                if candidate.action == .deny {
                    index = find(&nextDeny, index)
                    while index <= last {
                        firstDeny[index] = candidate.index
                        nextDeny[index] = index + 1
                        index = find(&nextDeny, index + 1)
                    }
                } else {
                    index = find(&nextAllow, index)
                    while index <= last {
                        firstAllow[index] = candidate.index
                        nextAllow[index] = index + 1
                        index = find(&nextAllow, index + 1)
                    }
                }
            }
        }
        for index in unique.indices {
            if index > 0, firstDeny[index] == deny.last, firstAllow[index] == allow.last, starts.count > Int(runs.last!) {
                continue  // same rules as the previous interval: merge
            }
            starts.append(UInt16(unique[index]))
            deny.append(firstDeny[index])
            allow.append(firstAllow[index])
        }
    }

    private static func lastIndex(in sorted: [Int], notAfter value: Int) -> Int {
        var low = 0, high = sorted.count
        while high - low > 1 {
            let middle = (low + high) / 2
            if sorted[middle] <= value { low = middle } else { high = middle }
        }
        return low
    }
}
