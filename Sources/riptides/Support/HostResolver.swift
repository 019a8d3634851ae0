#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RiptidesPolicy
import RiptidesProfile

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
