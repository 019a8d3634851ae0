import CRiptides
import Glibc
import Synchronization

/// Which agent process a DNS query reaching the proxy came from (netns
/// tier). The query arrives on a socket, not as a trapped call, so the
/// supervisor notes the sending socket's local port when it routes a call
/// to a proxied nameserver, and the proxy looks the port up. Ports are
/// unique within the agent's network namespace, which holds only its
/// sockets and riptides's.
public final class ResolverClients: Sendable {
    /// The process that addressed a query (for a connected socket: the one
    /// that connected it), and its executable.
    public struct Client: Sendable {
        public var pid: Int32
        public var exe: String?
    }

    /// Keyed by `port | 0x10000` for TCP, `port` for UDP.
    private let table = Mutex<[UInt32: Client]>([:])
    /// Ports are reused; past this many entries the table starts over.
    private static let capacity = 4096

    public init() {}

    func record(port: UInt16, stream: Bool, client: Client) {
        table.withLock { table in
            if table.count >= Self.capacity { table.removeAll(keepingCapacity: true) }
            table[Self.key(port, stream)] = client
        }
    }

    func client(port: UInt16, stream: Bool) -> Client? {
        table.withLock { $0[Self.key(port, stream)] }
    }

    private static func key(_ port: UInt16, _ stream: Bool) -> UInt32 { UInt32(port) | (stream ? 0x10000 : 0) }

    /// The local port of an inet socket, or nil.
    ///
    /// The corresponding C function is `getsockname`.
    static func localPort(of fd: CInt) -> UInt16? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let status = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard status == 0 else { return nil }
        return port(of: storage)
    }

    /// The port of an inet socket address, or nil for another family.
    static func port(of storage: sockaddr_storage) -> UInt16? {
        var copy = storage
        switch CInt(storage.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &copy) { $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) } }
        case AF_INET6:
            return withUnsafePointer(to: &copy) { $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) } }
        default:
            return nil
        }
    }

    /// Binds an unbound inet socket to the wildcard address and port 0, as
    /// the kernel's automatic bind on a first send or connect would, so its
    /// port is known before the query is sent.
    ///
    /// The corresponding C function is `bind`.
    static func bindIfUnbound(_ fd: CInt, domain: CInt) -> UInt16? {
        if let port = localPort(of: fd), port != 0 { return port }
        let status: CInt
        if domain == AF_INET6 {
            var any = sockaddr_in6()
            any.sin6_family = sa_family_t(AF_INET6)
            status = withUnsafePointer(to: &any) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        } else {
            var any = sockaddr_in()
            any.sin_family = sa_family_t(AF_INET)
            status = withUnsafePointer(to: &any) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        // EINVAL: bound meanwhile (by the agent's own thread); read it again.
        guard status == 0 || errno == EINVAL else { return nil }
        return localPort(of: fd).flatMap { $0 == 0 ? nil : $0 }
    }
}
