import CRiptides
import Glibc

/// Reads and writes another process's memory. The corresponding C functions
/// are `process_vm_readv` and `process_vm_writev`; a short transfer counts as
/// a failure (`EFAULT`), never as data.
public struct ProcessMemory: Sendable {
    public let pid: Int32

    public init(pid: Int32) { self.pid = pid }

    /// Copies `buffer.count` bytes from `address` in the process into `buffer`.
    public func read(from address: UInt64, into buffer: UnsafeMutableRawBufferPointer) -> Result<Void, Errno> {
        if buffer.count == 0 { return .success(()) }
        guard address != 0 else { return .failure(.fault) }
        var local = iovec(iov_base: buffer.baseAddress, iov_len: buffer.count)
        var remote = iovec(iov_base: UnsafeMutableRawPointer(bitPattern: UInt(address)), iov_len: buffer.count)
        let n = rt_process_vm_readv(pid, &local, 1, &remote, 1)
        if n == buffer.count { return .success(()) }
        return .failure(n < 0 ? .current : .fault)
    }

    /// Reads one value of a trivial type.
    public func read<T: BitwiseCopyable>(_ type: T.Type, from address: UInt64) -> Result<T, Errno> {
        withUnsafeTemporaryAllocation(of: T.self, capacity: 1) { storage in
            switch read(from: address, into: UnsafeMutableRawBufferPointer(storage)) {
            case .success: return .success(storage[0])
            case .failure(let e): return .failure(e)
            }
        }
    }

    /// Copies `bytes` into the process at `address`.
    public func write(_ bytes: UnsafeRawBufferPointer, to address: UInt64) -> Result<Void, Errno> {
        if bytes.count == 0 { return .success(()) }
        var local = iovec(iov_base: UnsafeMutableRawPointer(mutating: bytes.baseAddress), iov_len: bytes.count)
        var remote = iovec(iov_base: UnsafeMutableRawPointer(bitPattern: UInt(address)), iov_len: bytes.count)
        let n = rt_process_vm_writev(pid, &local, 1, &remote, 1)
        if n == bytes.count { return .success(()) }
        return .failure(n < 0 ? .current : .fault)
    }
}
