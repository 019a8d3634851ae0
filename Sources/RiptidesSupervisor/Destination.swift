import CRiptides
import Glibc
import RiptidesPolicy
import RiptidesProfile
import RiptidesSystem

/// The system call that carried the destination.
enum TrappedCall: String, Sendable {
    case connect, sendto, sendmsg, sendmmsg, listen

    var isSend: Bool { self != .connect && self != .listen }
}

/// A destination as the kernel will read it for this socket (threat model
/// item 4): the socket's family and type decide, not only `sa_family`.
enum Destination: Sendable {
    case inet(IPAddress, port: UInt16, TransportProtocol)
    /// An absolute path, or `@name` for an abstract socket.
    case unix(String)
    case netlinkKernel
    case netlinkPeer(UInt32)
    /// `connect` with `AF_UNSPEC`: dissolves the association; goes nowhere.
    case disconnect
    /// The kernel ignores the address (a stream socket without
    /// `MSG_FASTOPEN`, an `AF_UNSPEC` name on a UDPv6 socket): the data goes
    /// to the peer a decided connect chose, or nowhere.
    case connectedPeer
    /// A nameserver's port 53 that, in the agent's namespace, is riptides's
    /// DNS proxy: the query is decided by name there (netns tier).
    case resolverProxy
    /// Any other way to a proxied nameserver's port 53: refused.
    case resolverBypass(IPAddress)
    /// A socket protocol the policy does not understand (MPTCP, SCTP, ping…).
    case unsupportedProtocol(String)
    /// The kernel would fail the call with this errno before sending.
    case invalid(Errno)

    /// Interprets `address` (the agent's sockaddr, copied once) for `socket`.
    /// `cwd` resolves relative unix paths as the agent's kernel would.
    static func interpret(
        _ address: UnsafeRawBufferPointer, socket: SocketIdentity, call: TrappedCall, flags: CInt,
        cwd: () -> String?
    ) -> Destination {
        if socket.isInet {
            // Both the type and the protocol decide: a raw socket whose
            // protocol is UDP writes its own header, and its sockaddr port
            // means nothing.
            let proto: TransportProtocol
            switch (socket.type, socket.protocol) {
            case (CInt(SOCK_STREAM.rawValue), CInt(IPPROTO_TCP)): proto = .tcp
            case (CInt(SOCK_DGRAM.rawValue), CInt(IPPROTO_UDP)): proto = .udp
            default: return .unsupportedProtocol(socket.protocolName)
            }
            if call.isSend && socket.isStream && flags & CInt(MSG_FASTOPEN) == 0 { return .connectedPeer }
            guard address.count >= 2 else { return .invalid(.invalidArgument) }
            let family = CInt(address.loadUnaligned(as: sa_family_t.self))
            switch family {
            case AF_INET:
                guard address.count >= MemoryLayout<sockaddr_in>.size else { return .invalid(.invalidArgument) }
                return inet4(address, proto)
            case AF_INET6:
                guard socket.domain == AF_INET6 else { return .invalid(.addressFamilyNotSupported) }
                guard address.count >= 24 else { return .invalid(.invalidArgument) }
                let port = UInt16(bigEndian: address.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
                let high = UInt64(bigEndian: address.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
                let low = UInt64(bigEndian: address.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
                return .inet(.v6(high: high, low: low), port: port, proto)
            case AF_UNSPEC:
                if call == .connect { return .disconnect }
                if socket.isStream { return .invalid(.invalidArgument) }
                // udp_sendmsg reads an AF_UNSPEC name as AF_INET; udpv6 ignores it.
                if socket.domain == AF_INET6 { return .connectedPeer }
                guard address.count >= MemoryLayout<sockaddr_in>.size else { return .invalid(.invalidArgument) }
                return inet4(address, proto)
            default:
                return .invalid(.addressFamilyNotSupported)
            }
        }
        switch socket.domain {
        case AF_UNIX:
            if call.isSend && socket.type == CInt(SOCK_STREAM.rawValue) { return .connectedPeer }
            guard address.count >= 2 else { return .invalid(.invalidArgument) }
            let family = CInt(address.loadUnaligned(as: sa_family_t.self))
            if family == AF_UNSPEC && call == .connect && !socket.isStream { return .disconnect }
            guard family == AF_UNIX else { return .invalid(call == .connect ? .invalidArgument : .invalidArgument) }
            let path = UnsafeRawBufferPointer(rebasing: address[2...])
            guard !path.isEmpty else { return .invalid(.invalidArgument) }
            if path[0] == 0 {
                return .unix("@" + String(decoding: path.dropFirst(), as: UTF8.self))
            }
            let end = path.firstIndex(of: 0) ?? path.endIndex
            let text = String(decoding: UnsafeRawBufferPointer(rebasing: path[path.startIndex..<end]), as: UTF8.self)
            if text.hasPrefix("/") { return .unix(text) }
            guard let base = cwd() else { return .invalid(.noEntry) }
            return .unix(base == "/" ? "/" + text : base + "/" + text)
        case AF_NETLINK:
            guard address.count >= MemoryLayout<sockaddr_nl>.size else { return .invalid(.invalidArgument) }
            let pid = address.loadUnaligned(fromByteOffset: 4, as: UInt32.self)
            let groups = address.loadUnaligned(fromByteOffset: 8, as: UInt32.self)
            return pid == 0 && groups == 0 ? .netlinkKernel : .netlinkPeer(pid)
        default:
            return .unsupportedProtocol(socket.protocolName)
        }
    }

    private static func inet4(_ address: UnsafeRawBufferPointer, _ proto: TransportProtocol) -> Destination {
        let port = UInt16(bigEndian: address.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
        let addr = UInt32(bigEndian: address.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        return .inet(.v4(addr), port: port, proto)
    }
}
