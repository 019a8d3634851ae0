public import RiptidesProfile

extension EgressPolicy {
    /// The decision for a connection to `address`. The hot path, called per
    /// trapped syscall: it does not allocate (the reason is written only when
    /// read). `hosts` are the names known to resolve to `address`.
    public func evaluate(address: IPAddress, port: UInt16, protocol transport: TransportProtocol, hosts: [String]) -> Decision {
        let (normalized, original) = Self.normalize(address)
        let tables = self.tables
        var best = Best()
        // Source -1 is the address itself; source i is hosts[i].
        if let value = normalized.ipv4Value {
            var block = tables.v4.innermostBlock(value)
            while block >= 0 {
                best.combine(tables.portTables.lookup(tables.v4.portTable(block), transport, port), source: -1)
                block = tables.v4.parentBlock(block)
            }
        } else {
            var block = tables.v6.innermostBlock(Self.key(normalized))
            while block >= 0 {
                best.combine(tables.portTables.lookup(tables.v6.portTable(block), transport, port), source: -1)
                block = tables.v6.parentBlock(block)
            }
        }
        if tables.hasHosts, !hosts.isEmpty {
            var visitor = BestVisitor(best: best, transport: transport, port: port, source: 0)
            for index in hosts.indices {
                visitor.source = Int32(index)
                tables.forEachHostTable(hosts[index], &visitor)
            }
            best = visitor.best
        }
        return best.decision(rules: tables.rules) { source in
            MatchContext(rule: nil, subject: source < 0 ? .address(normalized) : .addressByHost(normalized, host: hosts[Int(source)]),
                         port: port, transport: transport, original: original)
        }
    }

    /// The decision for a connection to the unix socket at `path` (compared exactly).
    public func evaluate(unixPath path: String) -> Decision {
        let context = MatchContext(rule: nil, subject: .unixPath(path), port: nil, transport: nil, original: nil)
        guard let entry = tables.unixPaths[path] else { return Decision(verdict: .deny, matched: nil, context: .match(context)) }
        var best = Best()
        best.combine((entry.deny, entry.allow), source: 0)
        return best.decision(rules: rules) { _ in context }
    }

    /// The decision a host NAME itself gets, matching host entries only.
    ///
    /// With a port and a protocol this is the decision for that connection.
    /// With either left out it answers "could some connection to this name be
    /// allowed": allow when some port (and protocol) is allowed and not denied,
    /// naming the first allow rule that permits one.
    public func evaluate(host: String, port: UInt16?, protocol transport: TransportProtocol?) -> Decision {
        decide(sources: hostTables(host), port: port, transport: transport) { _ in .host(host) }
    }

    /// Like ``evaluate(address:port:protocol:hosts:)``, but port and protocol
    /// may be left out, with the meaning that ``evaluate(host:port:protocol:)`` gives them.
    public func evaluate(address: IPAddress, port: UInt16?, protocol transport: TransportProtocol?, hosts: [String]) -> Decision {
        let (normalized, original) = Self.normalize(address)
        var sources: [(table: Int32, source: Int32)] = []
        let (v4, v6) = (tables.v4, tables.v6)
        if let value = normalized.ipv4Value {
            var block = v4.innermostBlock(value)
            while block >= 0 { sources.append((v4.portTable(block), -1)); block = v4.parentBlock(block) }
        } else {
            var block = v6.innermostBlock(Self.key(normalized))
            while block >= 0 { sources.append((v6.portTable(block), -1)); block = v6.parentBlock(block) }
        }
        for (index, host) in hosts.enumerated() {
            sources += hostTables(host).map { ($0.table, Int32(index)) }
        }
        var decision = decide(sources: sources, port: port, transport: transport) { source in
            source < 0 ? .address(normalized) : .addressByHost(normalized, host: hosts[Int(source)])
        }
        if case .match(var match) = decision.context {
            match.original = original
            decision.context = .match(match)
        }
        return decision
    }

    // MARK: Internals

    /// The first deny and first allow rule seen so far, and where each came from.
    struct Best {
        var deny = PortTables.none, allow = PortTables.none
        var denySource: Int32 = -1, allowSource: Int32 = -1

        @inline(__always)
        mutating func combine(_ entry: (deny: Int32, allow: Int32), source: Int32) {
            if entry.deny < deny { deny = entry.deny; denySource = source }
            if entry.allow < allow { allow = entry.allow; allowSource = source }
        }

        @inline(__always)
        func decision(rules: [CompiledRule], context: (Int32) -> MatchContext) -> Decision {
            if deny != PortTables.none {
                var match = context(denySource)
                match.rule = rules[Int(deny)]
                return Decision(verdict: .deny, matched: match.rule, context: .match(match))
            }
            if allow != PortTables.none {
                var match = context(allowSource)
                match.rule = rules[Int(allow)]
                return Decision(verdict: .allow, matched: match.rule, context: .match(match))
            }
            return Decision(verdict: .deny, matched: nil, context: .match(context(-1)))
        }
    }

    /// Combines the answers of matching host entries for one port and protocol.
    struct BestVisitor: HostTableVisitor {
        var best: Best
        let transport: TransportProtocol
        let port: UInt16
        var source: Int32

        @inline(__always)
        mutating func visit(_ table: Int32, in tables: PolicyTables) {
            best.combine(tables.portTables.lookup(table, transport, port), source: source)
        }
    }

    /// Collects the port tables of matching host entries.
    struct CollectingVisitor: HostTableVisitor {
        var found: [(table: Int32, source: Int32)] = []

        mutating func visit(_ table: Int32, in tables: PolicyTables) {
            found.append((table, 0))
        }
    }

    /// The port tables of the host entries that match `host`.
    func hostTables(_ host: String) -> [(table: Int32, source: Int32)] {
        var visitor = CollectingVisitor()
        tables.forEachHostTable(host, &visitor)
        return visitor.found
    }

    /// The general decision over the port tables of `sources`, for one port or
    /// all, one protocol or both (see ``evaluate(host:port:protocol:)``).
    func decide(
        sources: [(table: Int32, source: Int32)], port: UInt16?, transport: TransportProtocol?,
        subject: (Int32) -> MatchContext.Subject
    ) -> Decision {
        let portTables = tables.portTables
        var firstPermitting: (rule: Int32, source: Int32)?
        var firstBlocking: (rule: Int32, source: Int32)?
        var firstDeny: (rule: Int32, source: Int32)?
        var everythingDenied = true
        let domain = port.map { Int($0)...Int($0) } ?? 1...65535
        for candidate in transport.map({ [$0] }) ?? TransportProtocol.allCases {
            // Every port where some table changes its answer, within the domain.
            var points = [domain.lowerBound]
            for (table, _) in sources {
                let run = portTables.run(table, candidate)
                for index in run where domain.contains(Int(portTables.starts[index])) { points.append(Int(portTables.starts[index])) }
            }
            points.sort()
            var previous = -1
            for point in points where point != previous {
                previous = point
                var best = Best()
                for (table, source) in sources {
                    best.combine(portTables.lookup(table, candidate, UInt16(point)), source: source)
                }
                if best.deny == PortTables.none {
                    everythingDenied = false
                    if best.allow != PortTables.none, best.allow < firstPermitting?.rule ?? PortTables.none {
                        firstPermitting = (best.allow, best.allowSource)
                    }
                } else {
                    if best.deny < firstDeny?.rule ?? PortTables.none { firstDeny = (best.deny, best.denySource) }
                    if best.allow != PortTables.none, best.deny < firstBlocking?.rule ?? PortTables.none {
                        firstBlocking = (best.deny, best.denySource)
                    }
                }
            }
        }
        func context(_ rule: Int32?, _ source: Int32) -> MatchContext {
            MatchContext(rule: rule.map { rules[Int($0)] }, subject: subject(source), port: port, transport: transport, original: nil)
        }
        if let (rule, source) = firstPermitting {
            return Decision(verdict: .allow, matched: rules[Int(rule)], context: .match(context(rule, source)))
        }
        if let (rule, source) = firstBlocking ?? (everythingDenied ? firstDeny : nil) {
            return Decision(verdict: .deny, matched: rules[Int(rule)], context: .match(context(rule, source)))
        }
        return Decision(verdict: .deny, matched: nil, context: .match(context(nil, -1)))
    }
}
