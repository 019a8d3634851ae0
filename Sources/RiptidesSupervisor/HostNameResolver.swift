import CRiptides
import Glibc
public import RiptidesProfile
import RiptidesPolicy
import Synchronization

/// Knows which host names an address belongs to, so that an IP destination
/// can match a host rule. This is supervisor-side resolution: the names of
/// the profile's host rules are resolved here and refreshed periodically. A
/// later tier binds names per agent from its own DNS answers; it replaces
/// this type behind the same two calls.
public protocol HostNameSource: Sendable {
    /// The names known to resolve to `address` (empty when none).
    func names(for address: IPAddress) -> [String]
}

/// Resolves a fixed set of names with the system resolver (`getaddrinfo`)
/// and keeps address → names. `getaddrinfo` reports no TTL, so entries are
/// refreshed every `refreshInterval`; an address stays known for one more
/// interval after it disappears from the answers, so that a connection
/// started just before a rotation is still matched.
public final class HostNameResolver: HostNameSource {
    private let hostNames: [String]
    private let table = Mutex<(current: [IPAddress: [String]], previous: [IPAddress: [String]])>(([:], [:]))
    public let refreshInterval: Double

    public init(hostNames: [String], refreshInterval: Double = 30) {
        self.hostNames = hostNames
        self.refreshInterval = refreshInterval
    }

    public func names(for address: IPAddress) -> [String] {
        table.withLock { t in t.current[address] ?? t.previous[address] ?? [] }
    }

    /// Resolves every name once, now.
    public func refresh() {
        var fresh: [IPAddress: [String]] = [:]
        for name in hostNames {
            // Stored as the policy compares them (0.0.0.0 as 127.0.0.1, mapped as IPv4), as lookups are made.
            for resolved in Self.resolve(name) {
                let address = EgressPolicy.normalize(resolved).address
                if !(fresh[address]?.contains(name) ?? false) { fresh[address, default: []].append(name) }
            }
        }
        table.withLock { t in
            t.previous = t.current
            t.current = fresh
        }
    }

    /// Resolves now, then keeps refreshing on a thread of its own.
    public func start() {
        refresh()
        guard !hostNames.isEmpty else { return }
        let interval = refreshInterval
        Thread.detach { [self] in
            while true {
                sleep(UInt32(interval))
                refresh()
            }
        }
    }

    /// The addresses `name` resolves to through the system resolver.
    public static func resolve(_ name: String) -> [IPAddress] {
        var hints = addrinfo()
        hints.ai_socktype = CInt(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(name, nil, &hints, &list) == 0 else { return [] }
        defer { freeaddrinfo(list) }
        var result: [IPAddress] = []
        var node = list
        while let info = node?.pointee {
            if let sa = info.ai_addr {
                let raw = UnsafeRawPointer(sa)
                switch info.ai_family {
                case AF_INET:
                    result.append(.v4(UInt32(bigEndian: raw.loadUnaligned(fromByteOffset: 4, as: UInt32.self))))
                case AF_INET6:
                    result.append(.v6(
                        high: UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)),
                        low: UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self))))
                default: break
                }
            }
            node = info.ai_next
        }
        var seen = Set<IPAddress>()
        return result.filter { seen.insert($0).inserted }
    }
}
