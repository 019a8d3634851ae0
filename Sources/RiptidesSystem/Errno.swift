import Glibc

/// An error number from the C library, with its name and message.
public struct Errno: Error, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: CInt
    public init(rawValue: CInt) { self.rawValue = rawValue }

    /// The calling thread's `errno`; read it right after the failing call.
    public static var current: Errno { Errno(rawValue: errno) }

    public var description: String { String(cString: strerror(rawValue)) }

    public static let permissionDenied = Errno(rawValue: EPERM)
    public static let noSuchProcess = Errno(rawValue: ESRCH)
    public static let badFileDescriptor = Errno(rawValue: EBADF)
    public static let invalidArgument = Errno(rawValue: EINVAL)
    public static let noEntry = Errno(rawValue: ENOENT)
    public static let messageTooLong = Errno(rawValue: EMSGSIZE)
    public static let addressFamilyNotSupported = Errno(rawValue: EAFNOSUPPORT)
    public static let fault = Errno(rawValue: EFAULT)
}

/// Runs `body` until it returns something other than -1 with EINTR; the
/// result is the value or the errno. The swift-system `valueOrErrno` shape.
@inline(__always)
public func valueOrErrno<I: FixedWidthInteger>(
    retryOnInterrupt: Bool = true, _ body: () -> I
) -> Result<I, Errno> {
    while true {
        let value = body()
        if value != -1 { return .success(value) }
        let error = Errno.current
        if retryOnInterrupt && error.rawValue == EINTR { continue }
        return .failure(error)
    }
}

extension Result {
    /// Whether this is `.success`.
    public var isSuccess: Bool {
        if case .success = self { return true }
        return false
    }
}
