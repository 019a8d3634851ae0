import CRiptides
import Glibc
import RiptidesSystem

/// The agent's sockaddr, copied once into supervisor memory. Every decision
/// and the emulated call itself use this copy, never the agent's memory
/// again (threat model item 1).
struct AddressCopy: Sendable {
    var storage = sockaddr_storage()
    var length = 0

    /// Copies `length` bytes at `pointer` from the agent. Lengths the kernel
    /// rejects (negative as an int, larger than `sockaddr_storage`) are EINVAL.
    static func read(from memory: ProcessMemory, at pointer: UInt64, length: UInt64) -> Result<AddressCopy, Errno> {
        let signed = Int32(truncatingIfNeeded: length)
        guard signed >= 0, Int(signed) <= MemoryLayout<sockaddr_storage>.size else { return .failure(.invalidArgument) }
        var copy = AddressCopy()
        copy.length = Int(signed)
        let result = withUnsafeMutableBytes(of: &copy.storage) { bytes in
            memory.read(from: pointer, into: UnsafeMutableRawBufferPointer(rebasing: bytes[0..<copy.length]))
        }
        if case .failure(let e) = result { return .failure(e) }
        return .success(copy)
    }

    func withBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        withUnsafeBytes(of: storage) { body(UnsafeRawBufferPointer(rebasing: $0[0..<length])) }
    }

    /// Calls `body` with the sockaddr to hand to the kernel for `destination`:
    /// the copy itself, except a unix path, which is rebuilt absolute (the
    /// supervisor's working directory is not the agent's).
    func withKernelAddress<R>(for destination: Destination, _ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> Result<R, Errno> {
        if case .unix(let path) = destination, !path.hasPrefix("@") {
            var un = sockaddr_un()
            un.sun_family = sa_family_t(AF_UNIX)
            let capacity = MemoryLayout.size(ofValue: un.sun_path)
            let utf8 = Array(path.utf8)
            guard utf8.count < capacity else { return .failure(Errno(rawValue: ENAMETOOLONG)) }
            withUnsafeMutableBytes(of: &un.sun_path) { raw in
                raw.copyBytes(from: utf8)
                raw[utf8.count] = 0
            }
            let length = socklen_t(MemoryLayout<sa_family_t>.size + utf8.count + 1)
            return .success(withUnsafePointer(to: &un) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) }
            })
        }
        var kernelCopy = self
        switch destination {
        case .inet, .resolverBypass: kernelCopy.pinUnspecifiedToLoopback()
        default: break
        }
        return .success(withUnsafePointer(to: kernelCopy.storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(length)) }
        })
    }

    /// Rewrites an unspecified destination (`0.0.0.0`, `::`, `::ffff:0.0.0.0`)
    /// to the loopback address the policy decided on. Left alone, the kernel
    /// picks the loopback itself, and on an IPv6 socket bound to a mapped
    /// address `::` reaches 127.0.0.1, not the `::1` that was checked.
    mutating func pinUnspecifiedToLoopback() {
        let length = self.length
        withUnsafeMutableBytes(of: &storage) { bytes in
            guard length >= 8 else { return }
            let family = CInt(bytes.load(as: sa_family_t.self))
            if family == AF_INET6 && length >= 24 {
                let address = UnsafeMutableRawBufferPointer(rebasing: bytes[8..<24])
                if address.allSatisfy({ $0 == 0 }) {
                    address[15] = 1
                } else if address[0..<10].allSatisfy({ $0 == 0 }) && address[10] == 0xff && address[11] == 0xff
                            && address[12..<16].allSatisfy({ $0 == 0 }) {
                    address[12] = 127
                    address[15] = 1
                }
            } else if family == AF_INET || family == AF_UNSPEC {
                let address = UnsafeMutableRawBufferPointer(rebasing: bytes[4..<8])
                if address.allSatisfy({ $0 == 0 }) {
                    address[0] = 127
                    address[3] = 1
                }
            }
        }
    }
}
