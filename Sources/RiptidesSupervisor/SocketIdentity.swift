import CRiptides
import Glibc
import RiptidesSystem

/// What kind of socket a descriptor is: its domain, type and protocol, as
/// the kernel will treat it (not what the sockaddr claims).
struct SocketIdentity: Sendable {
    var domain: CInt
    var type: CInt
    var `protocol`: CInt
    /// O_NONBLOCK on the open file description (shared with the agent).
    var nonBlocking: Bool

    /// The corresponding C calls are `getsockopt(SO_DOMAIN/SO_TYPE/SO_PROTOCOL)`.
    static func of(_ fd: CInt) -> Result<SocketIdentity, Errno> {
        let domain = SocketOption.integer(fd, level: SOL_SOCKET, name: SO_DOMAIN)
        guard case .success(let d) = domain else {
            if case .failure(let e) = domain { return .failure(e) }
            return .failure(.badFileDescriptor)
        }
        guard case .success(let t) = SocketOption.integer(fd, level: SOL_SOCKET, name: SO_TYPE),
              case .success(let p) = SocketOption.integer(fd, level: SOL_SOCKET, name: SO_PROTOCOL)
        else { return .failure(.current) }
        let flags = fcntl(fd, F_GETFL)
        return .success(SocketIdentity(domain: d, type: t, protocol: p, nonBlocking: flags >= 0 && flags & O_NONBLOCK != 0))
    }

    var isStream: Bool { type == CInt(SOCK_STREAM.rawValue) || type == CInt(SOCK_SEQPACKET.rawValue) }
    var isInet: Bool { domain == AF_INET || domain == AF_INET6 }

    /// The protocol's name for the audit: tcp, udp, or what the socket really is.
    var protocolName: String {
        switch domain {
        case AF_UNIX: return "unix"
        case AF_NETLINK: return "netlink"
        case AF_INET, AF_INET6:
            if type == CInt(SOCK_RAW.rawValue) { return "raw-ip-proto-\(`protocol`)" }
            switch `protocol` {
            case CInt(IPPROTO_TCP): return "tcp"
            case CInt(IPPROTO_UDP): return "udp"
            case CInt(IPPROTO_UDPLITE): return "udplite"
            case CInt(IPPROTO_SCTP): return "sctp"
            case 262: return "mptcp"
            case CInt(IPPROTO_ICMP): return "icmp"
            case CInt(IPPROTO_ICMPV6): return "icmpv6"
            default: return "ip-proto-\(`protocol`)"
            }
        default: return "family-\(domain)"
        }
    }
}
