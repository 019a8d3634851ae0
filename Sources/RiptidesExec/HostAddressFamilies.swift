import Glibc

/// The address families this host has configured, as getaddrinfo's
/// `AI_ADDRCONFIG` counts them: an IPv4 address other than 127.0.0.1, an
/// IPv6 address other than ::1 (glibc's rule).
enum HostAddressFamilies {
    static func configured() -> (ipv4: Bool, ipv6: Bool) {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return (false, false) }
        defer { freeifaddrs(list) }
        var ipv4 = false, ipv6 = false
        var entry = list
        while let current = entry {
            defer { entry = current.pointee.ifa_next }
            guard let address = current.pointee.ifa_addr else { continue }
            switch CInt(address.pointee.sa_family) {
            case AF_INET:
                let value = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr.s_addr }
                if UInt32(bigEndian: value) != 0x7F00_0001 { ipv4 = true }
            case AF_INET6:
                let bytes = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                    withUnsafeBytes(of: pointer.pointee.sin6_addr) { Array($0) }
                }
                if bytes != [UInt8](repeating: 0, count: 15) + [1] { ipv6 = true }
            default:
                continue
            }
        }
        return (ipv4, ipv6)
    }
}
