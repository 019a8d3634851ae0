public import RiptidesProfile

/// What `riptides explain` prints: the decision for a name and for each of
/// its addresses, or for one address or socket path, and the overall decision.
public struct Explanation: Sendable {
    /// One thing decided on.
    public struct Step: Sendable {
        /// `name api.openai.com`, `address 104.18.7.192`, `unix path /run/x.sock`.
        public var subject: String
        public var decision: Decision
    }

    /// E.g. `api.openai.com:443/tcp`.
    public var header: String
    public var steps: [Step]
    /// Extra lines: a name that did not resolve, rules that name the destination but not this port or protocol.
    public var notes: [String]
    /// What `exec` would do: for a host name, allow only when every
    /// address allows.
    public var decision: Decision

    /// The report, one line each, ending in `decision: VERDICT (rule NAME)` or `decision: deny (no rule matched)`.
    public var rendered: String {
        var lines = [header]
        lines += steps.map { "  \($0.subject): \($0.decision)" }
        lines += notes.map { "  note: \($0)" }
        let rule = decision.rule.map { "rule \($0)" } ?? "no rule matched"
        lines.append("decision: \(decision.verdict.rawValue) (\(rule))")
        return lines.joined(separator: "\n") + "\n"
    }
}

extension EgressPolicy {
    /// Explains `destination` over `transport` as `riptides exec` would
    /// decide a connection to it. For a host name, `addresses` are what it
    /// resolved to (each decided with the name as its host, and together
    /// they decide), or `resolutionFailure` says why it did not (then the
    /// name alone decides). For an address, `hostsOfAddress` are the
    /// profile's host names that resolve to it now: exec matches the
    /// address against their rules too.
    public func explain(
        _ destination: ExplainDestination, protocol transport: TransportProtocol,
        addresses: [IPAddress] = [], resolutionFailure: String? = nil, hostsOfAddress: [String] = []
    ) -> Explanation {
        let port = destination.port
        let suffix = (port.map { ":\($0)" } ?? "") + "/\(transport.rawValue)" + (port == nil ? " (no port: allowed when some port is)" : "")
        switch destination {
        case .unixPath(let path):
            let decision = evaluate(unixPath: path)
            return Explanation(header: "unix:\(path)", steps: [.init(subject: "unix path \(path)", decision: decision)],
                               notes: [], decision: decision)
        case .address(let address, _):
            let decision = evaluate(address: address, port: port, protocol: transport, hosts: hostsOfAddress)
            let shown = address.family == .v6 && port != nil ? "[\(address)]" : address.description
            var notes: [String] = []
            if !hostsOfAddress.isEmpty {
                notes.append("\(Self.normalize(address).address) is an address of \(hostsOfAddress.joined(separator: ", ")) (the profile's host names, resolved now)")
            }
            notes += nearMisses(address: address, host: hostsOfAddress.first, port: port, transport: transport, verdict: decision.verdict)
            return Explanation(header: shown + suffix, steps: [.init(subject: "address \(address)", decision: decision)],
                               notes: notes, decision: decision)
        case .host(let name, _):
            let nameDecision = evaluate(host: name, port: port, protocol: transport)
            var steps = [Explanation.Step(subject: "name \(name)", decision: nameDecision)]
            var notes: [String] = []
            if let resolutionFailure {
                notes.append("\(name) did not resolve (\(resolutionFailure)); the decision is the name's alone")
            }
            var seen = Set<IPAddress>()
            for address in addresses where seen.insert(address).inserted {
                steps.append(.init(subject: "address \(address)",
                                   decision: evaluate(address: address, port: port, protocol: transport, hosts: [name])))
            }
            // A connection goes to an address: the addresses decide, the name alone only when there are none.
            let deciding = steps.count > 1 ? steps.dropFirst() : steps[...]
            let decision = deciding.first { $0.decision.verdict == .deny }?.decision ?? deciding.first!.decision
            if decision.verdict == .allow, nameDecision.verdict == .deny {
                if evaluate(host: name, port: nil, protocol: nil).verdict == .deny {
                    notes.append("no host rule allows \(name): in the netns tier riptides refuses its DNS queries, "
                                 + "so the agent reaches these addresses only by resolving it another way (such as /etc/hosts)")
                } else {
                    notes.append("the name alone is not allowed for this port and protocol; address rules allow its addresses")
                }
            }
            notes += nearMisses(address: nil, host: name, port: port, transport: transport, verdict: decision.verdict)
            return Explanation(header: name + suffix, steps: steps, notes: notes, decision: decision)
        }
    }

    /// Allow rules that name the destination but not this port or protocol: the usual "why was I denied".
    func nearMisses(address: IPAddress?, host: String?, port: UInt16?, transport: TransportProtocol, verdict: Verdict) -> [String] {
        guard verdict == .deny else { return [] }
        let normalizedAddress = address.map { Self.normalize($0).address }
        let normalizedHost = host.map(HostPattern.normalize)
        var notes: [String] = []
        for rule in rules where rule.action == .allow {
            let named = rule.rule.destinations.first { destination in
                switch destination {
                case .prefix(let prefix): normalizedAddress.map(prefix.contains) ?? false
                case .host(let pattern): normalizedHost.map { pattern.matches(normalized: $0) } ?? false
                case .unixPath: false
                }
            }
            guard let named else { continue }
            let portFits = port.map(rule.covers(port:)) ?? true
            if !portFits || !rule.covers(transport) {
                notes.append("rule \(rule.name) names \(named), but only for \(rule.portsText)")
            }
        }
        return notes
    }
}
