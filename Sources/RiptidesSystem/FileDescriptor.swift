import Glibc

/// A file descriptor with exactly one owner: closed when the value is
/// dropped, handed on by `consume`, or taken out with `release()`.
public struct FileDescriptor: ~Copyable, @unchecked Sendable {
    public let rawValue: CInt

    public init(adopting rawValue: CInt) {
        precondition(rawValue >= 0, "adopting an invalid descriptor")
        self.rawValue = rawValue
    }

    /// Gives up ownership without closing.
    public consuming func release() -> CInt {
        let value = rawValue
        discard self
        return value
    }

    deinit {
        // close is never retried: on Linux the descriptor is gone even on EINTR.
        _ = Glibc.close(rawValue)
    }
}

/// Writes all of `bytes` to `fd` (which the caller does not own: stdio, an
/// audit descriptor), retrying partial writes and EINTR.
public func writeAll(_ fd: CInt, _ bytes: UnsafeRawBufferPointer) -> Result<Void, Errno> {
    var offset = 0
    while offset < bytes.count {
        switch valueOrErrno({ Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset) }) {
        case .success(let n): offset += n
        case .failure(let e): return .failure(e)
        }
    }
    return .success(())
}
