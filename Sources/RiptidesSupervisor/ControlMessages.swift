import CRiptides
import Glibc
import RiptidesSystem

/// Ancillary data of an emulated `sendmsg`, copied from the agent and
/// checked. Only options that cannot change where a packet goes are kept
/// (threat model item 6: no IPv6 routing headers, no IPv4 source routes);
/// descriptors passed with `SCM_RIGHTS` are translated into the supervisor's
/// table; credentials (`SCM_CREDENTIALS`) are refused, since the supervisor's
/// would be checked instead of the agent's (item 3).
struct ControlMessages: ~Copyable {
    private var buffer: UnsafeMutableRawBufferPointer?
    private var length = 0
    private var descriptors: [CInt] = []

    mutating func copy(from memory: ProcessMemory, at pointer: UInt64, length: Int,
                       socket: SocketIdentity, pidfd: borrowing FileDescriptor) -> Result<Void, Errno> {
        let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: length, alignment: 8)
        buffer = bytes
        self.length = length
        if case .failure(let e) = memory.read(from: pointer, into: bytes) { return .failure(e) }

        let headerSize = MemoryLayout<cmsghdr>.size
        var offset = 0
        while offset + headerSize <= length {
            let header = bytes.loadUnaligned(fromByteOffset: offset, as: cmsghdr.self)
            // cmsg_len is the agent's: compared without overflow.
            guard UInt(bitPattern: header.cmsg_len) <= UInt(length - offset) else { return .failure(.invalidArgument) }
            let messageLength = Int(header.cmsg_len)
            guard messageLength >= headerSize else { return .failure(.invalidArgument) }
            let dataOffset = offset + Int(rt_cmsg_len(0))
            let dataLength = messageLength - Int(rt_cmsg_len(0))
            switch (header.cmsg_level, header.cmsg_type) {
            case (SOL_SOCKET, CInt(SCM_RIGHTS)) where socket.domain == AF_UNIX:
                let count = dataLength / MemoryLayout<CInt>.size
                // SCM_MAX_FD: the kernel takes at most 253 descriptors per message.
                guard descriptors.count + count <= 253 else { return .failure(.invalidArgument) }
                for i in 0..<count {
                    let at = dataOffset + i * MemoryLayout<CInt>.size
                    let theirs = bytes.loadUnaligned(fromByteOffset: at, as: CInt.self)
                    switch PidFD.getFD(pidfd, theirs) {
                    case .success(let ours):
                        let raw = ours.release()
                        descriptors.append(raw)
                        bytes.storeBytes(of: raw, toByteOffset: at, as: CInt.self)
                    case .failure(let e):
                        return .failure(e.rawValue == ESRCH ? .badFileDescriptor : e)
                    }
                }
            case (CInt(IPPROTO_IP), let type) where Self.harmlessIPv4.contains(type) && socket.isInet:
                break
            case (CInt(IPPROTO_IPV6), let type) where Self.harmlessIPv6.contains(type) && socket.domain == AF_INET6:
                break
            case (CInt(IPPROTO_UDP), 103 /* UDP_SEGMENT */) where socket.isInet:
                break
            default:
                return .failure(.permissionDenied)
            }
            offset += min((messageLength + 7) & ~7, length - offset)
        }
        return .success(())
    }

    /// IP_TOS, IP_TTL, IP_PKTINFO.
    static let harmlessIPv4: Set<CInt> = [1, 2, 8]
    /// IPV6_PKTINFO, IPV6_HOPLIMIT, IPV6_DONTFRAG, IPV6_TCLASS.
    static let harmlessIPv6: Set<CInt> = [50, 52, 62, 67]

    func withBuffer<R>(_ body: (UnsafeMutableRawPointer?, Int) -> R) -> R {
        body(buffer?.baseAddress, buffer == nil ? 0 : length)
    }

    /// Closes the supervisor's copies of passed descriptors (the kernel has
    /// taken its own references by then).
    /// The copies of the agent's descriptors go to `closer`: one may be the
    /// last reference to a lingering socket.
    mutating func closeDescriptors(with closer: Closer) {
        for fd in descriptors { closer.close(fd) }
        descriptors.removeAll()
    }

    deinit {
        for fd in descriptors { close(fd) }
        buffer?.deallocate()
    }
}
