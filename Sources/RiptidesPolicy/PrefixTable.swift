/// Every CIDR block of one address family, flattened into a sorted table of
/// disjoint address intervals.
///
/// Blocks are either nested or disjoint, so they form a forest; each interval
/// points at the innermost block that covers it, and each block at its parent.
/// A lookup is a binary search over the interval starts (about 17 steps for
/// 100,000 blocks) followed by a walk up the enclosing blocks, at most one per
/// prefix length, however many rules there are.
struct PrefixTable<Key: FixedWidthInteger & UnsignedInteger & Sendable>: Sendable {
    /// Start of each interval, ascending; the first is 0.
    private var starts: [Key] = [0]
    /// The innermost block covering each interval, or -1.
    private var innermost: [Int32] = [-1]
    /// For each block: the enclosing block or -1.
    private var parent: [Int32] = []
    /// For each block: its table in ``PortTables``.
    private var table: [Int32] = []

    /// One block: first and last address, and the port table of the rules naming it.
    struct Block {
        var first: Key
        var last: Key
        var table: Int32
    }

    init() {}

    init(blocks unsorted: [Block]) {
        guard !unsorted.isEmpty else { return }
        // Outer blocks before the blocks they contain.
        let blocks = unsorted.sorted { ($0.first, ~$0.last) < ($1.first, ~$1.last) }
        parent.reserveCapacity(blocks.count)
        table = blocks.map(\.table)
        var points: [Key] = [0]
        points.reserveCapacity(blocks.count * 2 + 1)
        for block in blocks {
            points.append(block.first)
            if block.last < Key.max { points.append(block.last + 1) }
        }
        points.sort()
        starts = []
        innermost = []
        starts.reserveCapacity(points.count)
        innermost.reserveCapacity(points.count)
        parent = [Int32](repeating: -1, count: blocks.count)
        var stack: [Int32] = []
        var next = 0
        var previous: Key? = nil
        for point in points where point != previous {
            previous = point
            while let top = stack.last, blocks[Int(top)].last < point { stack.removeLast() }
            while next < blocks.count, blocks[next].first == point {
                parent[next] = stack.last ?? -1
                stack.append(Int32(next))
                next += 1
            }
            let covering = stack.last ?? -1
            if innermost.last == covering { continue }
            starts.append(point)
            innermost.append(covering)
        }
    }

    /// The innermost block holding `address`, or -1.
    @inline(__always)
    func innermostBlock(_ address: Key) -> Int32 {
        var low = 0, high = starts.count
        while high - low > 1 {
            let middle = (low &+ high) >> 1
            if starts[middle] <= address { low = middle } else { high = middle }
        }
        return innermost[low]
    }

    @inline(__always)
    func parentBlock(_ block: Int32) -> Int32 { parent[Int(block)] }

    @inline(__always)
    func portTable(_ block: Int32) -> Int32 { table[Int(block)] }

    /// Number of intervals (for reports).
    var intervalCount: Int { starts.count }
}
