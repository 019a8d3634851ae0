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
    public static let interrupted = Errno(rawValue: EINTR)
    public static let badFileDescriptor = Errno(rawValue: EBADF)
    public static let invalidArgument = Errno(rawValue: EINVAL)
    public static let noEntry = Errno(rawValue: ENOENT)
    public static let notSupported = Errno(rawValue: EOPNOTSUPP)
    public static let messageTooLong = Errno(rawValue: EMSGSIZE)
    public static let addressFamilyNotSupported = Errno(rawValue: EAFNOSUPPORT)
    public static let fault = Errno(rawValue: EFAULT)
}

/// A failed system call: what was attempted, on what, and the errno.
public struct SystemError: Error, CustomStringConvertible, Sendable {
    public var operation: String
    public var target: String
    public var errno: Errno

    public init(_ operation: String, on target: String = "", _ errno: Errno) {
        self.operation = operation
        self.target = target
        self.errno = errno
    }

    public var description: String {
        target.isEmpty ? "\(operation): \(errno)" : "\(operation) \(target): \(errno)"
    }
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
