public import RiptidesProfile
import RiptidesPolicy
import Synchronization

/// The names this agent's own DNS answers bound to addresses (learnt by
/// the netns tier's DNS proxy): per-agent binding, so that a wildcard host
/// rule can match the address an allowed name resolved to.
public final class HostNameBindings: HostNameSource {
    private let table = Mutex<[IPAddress: [String]]>([:])

    public init() {}

    public func bind(_ addresses: [IPAddress], to name: String) {
        guard !addresses.isEmpty else { return }
        table.withLock { table in
            // Stored as the policy compares them (0.0.0.0 as 127.0.0.1, mapped as IPv4), as lookups are made.
            for answered in addresses {
                let address = EgressPolicy.normalize(answered).address
                if !(table[address]?.contains(name) ?? false) { table[address, default: []].append(name) }
            }
        }
    }

    public func names(for address: IPAddress) -> [String] {
        table.withLock { $0[address] ?? [] }
    }
}

/// Names from several sources, the first source's first.
public struct CombinedHostNames: HostNameSource {
    let sources: [any HostNameSource]

    public init(_ sources: [any HostNameSource]) { self.sources = sources }

    public func names(for address: IPAddress) -> [String] {
        var result: [String] = []
        for source in sources {
            let names = source.names(for: address)
            if result.isEmpty { result = names; continue }
            for name in names where !result.contains(name) { result.append(name) }
        }
        return result
    }
}
