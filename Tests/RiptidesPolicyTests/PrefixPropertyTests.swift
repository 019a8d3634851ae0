import RiptidesPolicy
import RiptidesProfile
import Testing

/// The compiled policy agrees with the contract's matching, done the slow
/// way (a scan over every rule), on random rule sets and random attempts.
@Suite struct PrefixPropertyTests {
    /// The reference: deny rules first, then allow rules, each in file order, by scanning.
    static func naive(_ rules: [Rule], _ address: IPAddress, _ port: UInt16, _ transport: TransportProtocol, _ hosts: [String]) -> (Verdict, String?) {
        let address = EgressPolicy.normalize(address).address
        let names = hosts.map(HostPattern.normalize)
        func matches(_ rule: Rule) -> Bool {
            guard rule.transport == .any || rule.transport.rawValue == transport.rawValue else { return false }
            guard rule.ports?.contains(where: { $0.contains(port) }) ?? true else { return false }
            return rule.destinations.contains { destination in
                switch destination {
                case .prefix(let prefix): prefix.contains(address)
                case .host(let pattern): names.contains(where: pattern.matches(normalized:))
                case .unixPath: false
                }
            }
        }
        if let deny = rules.first(where: { $0.action == .deny && matches($0) }) { return (.deny, deny.name) }
        if let allow = rules.first(where: { $0.action == .allow && matches($0) }) { return (.allow, allow.name) }
        return (.deny, nil)
    }

    /// Random blocks clustered in a small space so that they nest and overlap often.
    static func randomPrefix(_ family: IPAddress.Family, _ random: inout SeededGenerator) -> IPPrefix {
        if family == .v4 {
            let length = Int.random(in: 0...32, using: &random)
            let value = UInt32(0x0A00_0000) | UInt32.random(in: 0...0xFFFF, using: &random) << 8 | UInt32.random(in: 0...3, using: &random)
            let mask: UInt32 = length == 0 ? 0 : ~0 << (32 - length)
            let address = Int.random(in: 0..<10, using: &random) == 0 ? UInt32.random(in: 0...UInt32.max, using: &random) : value
            return IPPrefix(address: .v4(address & mask), length: length)!
        }
        let length = Int.random(in: 0...128, using: &random)
        let high = 0x2001_0db8_0000_0000 | UInt64.random(in: 0...0xFF, using: &random) << 16
        let low = UInt64.random(in: 0...3, using: &random) | (Bool.random(using: &random) ? UInt64.max << 62 : 0)
        let key = (UInt128(high) << 64 | UInt128(low))
        let mask: UInt128 = length == 0 ? 0 : ~UInt128(0) << (128 - length)
        let masked = key & mask
        return IPPrefix(address: .v6(high: UInt64(truncatingIfNeeded: masked >> 64), low: UInt64(truncatingIfNeeded: masked)), length: length)!
    }

    static func randomAddress(near prefixes: [IPPrefix], _ family: IPAddress.Family, _ random: inout SeededGenerator) -> IPAddress {
        // Half the time an address at or next to a block edge, where off-by-one errors live.
        if !prefixes.isEmpty, Bool.random(using: &random) {
            let prefix = prefixes.randomElement(using: &random)!
            let edge = Bool.random(using: &random) ? prefix.address : prefix.lastAddress
            let step = Int.random(in: -1...1, using: &random)
            if family == .v4, let value = edge.ipv4Value { return .v4(value &+ UInt32(bitPattern: Int32(step))) }
            if let (high, low) = edge.ipv6Value {
                let key = (UInt128(high) << 64 | UInt128(low)) &+ UInt128(bitPattern: Int128(step))
                return .v6(high: UInt64(truncatingIfNeeded: key >> 64), low: UInt64(truncatingIfNeeded: key))
            }
        }
        return randomPrefix(family, &random).address
    }

    static let hostPool = ["a.example", "b.example", "x.a.example", "y.x.a.example", "c.test", "d.c.test"]

    static func randomRules(_ random: inout SeededGenerator) -> [Rule] {
        (0..<Int.random(in: 0...40, using: &random)).map { index in
            var destinations: [RuleDestination] = []
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                switch Int.random(in: 0..<5, using: &random) {
                case 0, 1: destinations.append(.prefix(randomPrefix(.v4, &random)))
                case 2, 3: destinations.append(.prefix(randomPrefix(.v6, &random)))
                default:
                    let name = hostPool.randomElement(using: &random)!
                    destinations.append(.host(try! HostPattern(parsing: Bool.random(using: &random) ? "*." + name : name)))
                }
            }
            var ports: [PortRange]?
            if Bool.random(using: &random) {
                ports = (0..<Int.random(in: 1...3, using: &random)).map { _ in
                    let low = UInt16.random(in: 1...20, using: &random)
                    return PortRange(low, low + UInt16.random(in: 0...5, using: &random))!
                }
            }
            return Rule(name: "r\(index)", action: Int.random(in: 0..<4, using: &random) == 0 ? .deny : .allow,
                        destinations: destinations, ports: ports, transport: RuleProtocol.allCases.randomElement(using: &random)!)
        }
    }

    @Test(arguments: [IPAddress.Family.v4, .v6], [UInt64(1), 2, 3, 4, 5, 6, 7, 8])
    func compiledPolicyAgreesWithANaiveScan(_ family: IPAddress.Family, _ seed: UInt64) {
        var random = SeededGenerator(seed: seed &* 7919 &+ (family == .v4 ? 0 : 1_000_003))
        for round in 0..<25 {
            let rules = Self.randomRules(&random)
            let policy = EgressPolicy(rules: rules, identity: nil, mode: .enforce)
            let prefixes = rules.flatMap(\.destinations).compactMap { if case .prefix(let p) = $0, p.address.family == family { p } else { nil } }
            for _ in 0..<200 {
                let address = Self.randomAddress(near: prefixes, family, &random)
                let port = UInt16.random(in: 0...28, using: &random)
                let transport = TransportProtocol.allCases.randomElement(using: &random)!
                let hosts = Int.random(in: 0..<3, using: &random) == 0 ? [Self.hostPool.randomElement(using: &random)!.uppercased() + "."] : []
                let decision = policy.evaluate(address: address, port: port, protocol: transport, hosts: hosts)
                let expected = Self.naive(rules, address, port, transport, hosts)
                #expect(decision.verdict == expected.0 && decision.rule == expected.1,
                        "seed \(seed) round \(round): \(address) port \(port)/\(transport) hosts \(hosts) in \(rules.map { "\($0.name) \($0.action) \($0.destinations) \($0.ports ?? []) \($0.transport)" })")
                if decision.verdict != expected.0 || decision.rule != expected.1 { return }
            }
        }
    }
}
