#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import RiptidesPolicy
import RiptidesProfile
import Synchronization

/// Resolves host names with the system resolver (`getaddrinfo`), as the agent's own connections would.
enum HostResolver {
    struct Failure: Error {
        var message: String
    }

    /// The distinct addresses `name` resolves to, in resolver order.
    ///
    /// The corresponding C function is `getaddrinfo`.
    static func resolve(_ name: String, protocol transport: TransportProtocol) -> Result<[IPAddress], Failure> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
        hints.ai_socktype = Int32(transport == .tcp ? SOCK_STREAM.rawValue : SOCK_DGRAM.rawValue)
        #else
        hints.ai_socktype = transport == .tcp ? SOCK_STREAM : SOCK_DGRAM
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(name, nil, &hints, &list)
        guard status == 0 else { return .failure(Failure(message: String(cString: gai_strerror(status)))) }
        defer { freeaddrinfo(list) }
        var addresses: [IPAddress] = []
        var entry = list
        while let info = entry?.pointee {
            if let address = info.ai_addr.flatMap(Self.address(of:)), !addresses.contains(address) {
                addresses.append(address)
            }
            entry = info.ai_next
        }
        return .success(addresses)
    }

    /// The names among `names` that resolve to `address` now, as
    /// `riptides exec` resolves a profile's host names to match addresses
    /// against their rules (16 lookups at a time), and how many names had
    /// not resolved when `timeout` seconds had passed (a name that fails to
    /// resolve is left out).
    static func names(_ names: [String], resolvingTo address: IPAddress, protocol transport: TransportProtocol,
                      timeout: Double = 5) -> (matching: [String], pending: Int) {
        let wanted = EgressPolicy.normalize(address).address
        // Per name: nil while pending, then whether it resolves to `address`.
        let results = Mutex([Bool?](repeating: nil, count: names.count))
        let next = Atomic(0)
        let group = DispatchGroup()
        for _ in 0..<min(16, names.count) {
            group.enter()
            Thread.detachNewThread {
                while case let index = next.add(1, ordering: .relaxed).oldValue, index < names.count {
                    var matches = false
                    if case .success(let resolved) = resolve(names[index], protocol: transport) {
                        matches = resolved.contains { EgressPolicy.normalize($0).address == wanted }
                    }
                    results.withLock { $0[index] = matches }
                }
                group.leave()
            }
        }
        _ = group.wait(timeout: .now() + timeout)
        let found = results.withLock { $0 }
        return (names.indices.filter { found[$0] == true }.map { names[$0] }, found.filter { $0 == nil }.count)
    }

    private static func address(of socketAddress: UnsafeMutablePointer<sockaddr>) -> IPAddress? {
        switch Int32(socketAddress.pointee.sa_family) {
        case AF_INET:
            return socketAddress.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                .v4(UInt32(bigEndian: $0.pointee.sin_addr.s_addr))
            }
        case AF_INET6:
            return socketAddress.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                withUnsafeBytes(of: pointer.pointee.sin6_addr) { bytes in
                    var high: UInt64 = 0, low: UInt64 = 0
                    for i in 0..<8 { high = high << 8 | UInt64(bytes[i]) }
                    for i in 8..<16 { low = low << 8 | UInt64(bytes[i]) }
                    return .v6(high: high, low: low)
                }
            }
        default:
            return nil
        }
    }
}
