/// What riptides sends to the kernel's netlink for the agent: read-only
/// routing requests only (`RTM_GET*`, which `getaddrinfo` and `ip show` use).
/// Riptides sends them itself, with its own privileges; a request that
/// changes addresses, routes, links or rules would be carried out as root
/// (threat model item 3), so it is refused before anything is sent.
enum NetlinkRequests {
    /// Whether every message in `payload` is an `RTM_GET*` request (or a
    /// no-op), walking the `nlmsghdr`s with overflow-safe lengths.
    static func readOnly(_ payload: UnsafeRawBufferPointer) -> Bool {
        let headerSize = 16
        var offset = 0
        guard payload.count >= headerSize else { return false }
        while offset + headerSize <= payload.count {
            let length = Int(payload.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
            let type = payload.loadUnaligned(fromByteOffset: offset + 4, as: UInt16.self)
            guard length >= headerSize, length <= payload.count - offset else { return false }
            // NLMSG_NOOP is 1; routing messages start at 16 and come in
            // groups of four (NEW, DEL, GET, SET): GET is the third.
            // RTM_GETDCB (78) is the exception: before Linux 5.10 it carried
            // DCB set commands.
            let isGet = type >= 16 && type & 3 == 2 && type != 78
            guard type == 1 || isGet else { return false }
            offset += (length + 3) & ~3
        }
        return true
    }
}
