public import RiptidesProfile

/// A profile compiled for lookup: immutable, shareable across threads, and
/// evaluated as a pure function of the attempt.
///
/// Matching (contract.md, "Matching"): deny rules first, and any match
/// denies, naming the first such rule in file order; then the first allow
/// rule in file order; nothing matched denies with no rule. Addresses are
/// matched by CIDR block through ``PrefixTable``; an address also matches a
/// host entry when one of the names known for it does, through ``HostIndex``;
/// ports and protocols are resolved per key through ``PortTables``.
public struct EgressPolicy: Sendable {
    /// The SPIFFE ID of the profile, nil for the no-profile policy.
    public let identity: String?
    public let mode: ProfileMode
    /// Exact host names (from allow and deny rules), in file order, that the
    /// supervisor should resolve so an address can be matched to them.
    public let resolvableHostNames: [String]

    /// Everything lookup needs, behind one reference so that copying the
    /// policy (or capturing it in a closure) costs one retain.
    let tables: PolicyTables

    var rules: [CompiledRule] { tables.rules }

    /// Compiles `profile`.
    public init(_ profile: Profile) {
        self.init(rules: profile.rules, identity: profile.identity.description, mode: profile.mode)
    }

    /// The policy when no profile is given: no rules, so every destination is denied.
    public static func denyAll(mode: ProfileMode) -> EgressPolicy {
        EgressPolicy(rules: [], identity: nil, mode: mode)
    }

    /// Compiles `rules` (in file order; names should be unique).
    public init(rules: [Rule], identity: String?, mode: ProfileMode) {
        self.identity = identity
        self.mode = mode
        let compiled = rules.enumerated().map { CompiledRule(index: Int32($0.offset), rule: $0.element) }

        // Gather, for every key, the rules naming it (in rule order).
        var v4Rules: [IPPrefix: [CompiledRule]] = [:]
        var v6Rules: [IPPrefix: [CompiledRule]] = [:]
        var exactRules: [String: [CompiledRule]] = [:]
        var wildcardRules: [String: [CompiledRule]] = [:]
        var exactOrder: [String] = []
        var wildcardOrder: [String] = []
        var unix: [String: (deny: Int32, allow: Int32)] = [:]
        func add<Key: Hashable>(_ rule: CompiledRule, _ key: Key, _ map: inout [Key: [CompiledRule]]) -> Bool {
            if let existing = map[key] {
                if existing.last === rule { return false }
                map[key]!.append(rule)
                return false
            }
            map[key] = [rule]
            return true
        }
        for rule in compiled {
            for destination in rule.rule.destinations {
                switch destination {
                case .prefix(let prefix):
                    if prefix.address.family == .v4 {
                        _ = add(rule, prefix, &v4Rules)
                    } else {
                        _ = add(rule, prefix, &v6Rules)
                    }
                case .host(let pattern) where pattern.isWildcard:
                    if add(rule, pattern.name, &wildcardRules) { wildcardOrder.append(pattern.name) }
                case .host(let pattern):
                    if add(rule, pattern.name, &exactRules) { exactOrder.append(pattern.name) }
                case .unixPath(let path):
                    var entry = unix[path] ?? (PortTables.none, PortTables.none)
                    if rule.action == .deny { entry.deny = min(entry.deny, rule.index) } else { entry.allow = min(entry.allow, rule.index) }
                    unix[path] = entry
                }
            }
        }

        // One port table per distinct set of rules; most keys share a few.
        var tables = PortTables()
        var tableFor: [[Int32]: Int32] = [:]
        func table(_ candidates: [CompiledRule]) -> Int32 {
            let key = candidates.map(\.index)
            if let existing = tableFor[key] { return existing }
            let made = tables.add(candidates)
            tableFor[key] = made
            return made
        }
        let v4 = PrefixTable<UInt32>(blocks: v4Rules.map { prefix, candidates in
            .init(first: prefix.address.ipv4Value!, last: prefix.lastAddress.ipv4Value!, table: table(candidates))
        })
        let v6 = PrefixTable<UInt128>(blocks: v6Rules.map { prefix, candidates in
            .init(first: Self.key(prefix.address), last: Self.key(prefix.lastAddress), table: table(candidates))
        })
        let exactHosts = HostIndex(exactOrder.map { ($0, table(exactRules[$0]!)) })
        let wildcardHosts = HostIndex(wildcardOrder.map { ($0, table(wildcardRules[$0]!)) })
        self.tables = PolicyTables(
            rules: compiled, portTables: tables, v4: v4, v6: v6, exactHosts: exactHosts, wildcardHosts: wildcardHosts,
            unixPaths: unix)
        self.resolvableHostNames = exactOrder
    }

    /// The number of rules.
    public var ruleCount: Int { rules.count }

    static func key(_ address: IPAddress) -> UInt128 {
        let (high, low) = address.ipv6Value ?? (0, UInt64(address.ipv4Value ?? 0))
        return UInt128(high) << 64 | UInt128(low)
    }

    /// The address matching uses, and the address given when they differ:
    /// IPv4-mapped IPv6 as IPv4, `0.0.0.0` as 127.0.0.1, `::` as ::1.
    public static func normalize(_ address: IPAddress) -> (address: IPAddress, original: IPAddress?) {
        var result = address
        if let v4 = address.unmappedIPv4 { result = v4 }
        if result.isUnspecified { result = result.family == .v4 ? .v4(0x7F00_0001) : .v6(high: 0, low: 1) }
        return (result, result == address ? nil : address)
    }
}
