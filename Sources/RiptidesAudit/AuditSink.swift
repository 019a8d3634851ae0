import Glibc
import RiptidesSystem
import Synchronization

/// Where audit lines go: a descriptor written with one `write` per line, so
/// that lines from concurrent decisions never interleave.
public final class AuditSink: Sendable {
    /// Parsed `--audit DEST`.
    public enum Destination: Sendable, Equatable {
        case stdout
        case stderr
        case descriptor(CInt)
        case file(String)

        /// `-` (stdout), `stderr`, `fd:N`, or a file path.
        public init(parsing text: String) throws(AuditError) {
            switch text {
            case "-", "stdout": self = .stdout
            case "stderr": self = .stderr
            case _ where text.hasPrefix("fd:"):
                guard let n = CInt(text.dropFirst(3)), n >= 0 else {
                    throw AuditError("--audit \(text): expected fd:N with N a descriptor number")
                }
                self = .descriptor(n)
            case "": throw AuditError("--audit: expected -, stderr, fd:N or a file path")
            default: self = .file(text)
            }
        }
    }

    private let fd: CInt
    private let ownsDescriptor: Bool
    private let lock = Mutex<Void>(())

    public init(_ destination: Destination) throws(AuditError) {
        switch destination {
        case .stdout: fd = STDOUT_FILENO; ownsDescriptor = false
        case .stderr: fd = STDERR_FILENO; ownsDescriptor = false
        case .descriptor(let n):
            guard fcntl(n, F_GETFD) != -1 else {
                throw AuditError("--audit fd:\(n): descriptor \(n) is not open")
            }
            // Keep the audit away from the agent: it must not inherit it.
            fd = n
            ownsDescriptor = false
        case .file(let path):
            let opened = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
            guard opened >= 0 else {
                throw AuditError("--audit \(path): cannot open: \(Errno.current)")
            }
            fd = opened
            ownsDescriptor = true
        }
    }

    deinit {
        if ownsDescriptor { close(fd) }
    }

    /// Writes one line with one `write` (looping only on a short write).
    public func write(_ line: String) {
        var line = line
        line.withUTF8 { bytes in
            // A failed audit write has nowhere to be reported but the audit.
            lock.withLock { _ in _ = writeAll(fd, UnsafeRawBufferPointer(bytes)) }
        }
    }
}

/// A bad `--audit` destination.
public struct AuditError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
