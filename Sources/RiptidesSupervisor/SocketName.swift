import CRiptides
import Glibc

/// The local name of an inet socket, as `getsockname` reports it.
enum SocketName {
    /// The socket's local address, or nil.
    ///
    /// The corresponding C function is `getsockname`.
    static func local(of fd: CInt) -> (address: sockaddr_storage, length: socklen_t)? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let status = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return status == 0 ? (storage, length) : nil
    }

    /// The socket's local port (0 while unbound), or nil.
    static func localPort(of fd: CInt) -> UInt16? {
        local(of: fd).flatMap { port(of: $0.address) }
    }

    /// The port of an inet or inet6 address (at the same offset in both), or nil for another family.
    static func port(of storage: sockaddr_storage) -> UInt16? {
        guard CInt(storage.ss_family) == AF_INET || CInt(storage.ss_family) == AF_INET6 else { return nil }
        return withUnsafeBytes(of: storage) { UInt16(bigEndian: $0.loadUnaligned(fromByteOffset: 2, as: UInt16.self)) }
    }
}
