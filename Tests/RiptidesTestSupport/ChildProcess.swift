internal import CTestSpawn
internal import Glibc
internal import Foundation
internal import Synchronization

/// A program the tests start: `riptides`, an agent, a stand-in server. Its
/// standard output and error are read to the end on threads of their own
/// from the start, so a chatty child never blocks on a full pipe.
///
/// Used in place of Foundation's `Process`, whose `run()` can crash the
/// test process on Linux (swift-corelibs-foundation#5472). The child starts
/// as from a shell: no signal blocked, every disposition at its default,
/// descriptors other than 0, 1 and 2 closed, in a process group of its own.
public final class ChildProcess: Sendable {
    /// Where a standard stream of the child goes.
    public enum Stream: Sendable {
        /// A pipe read to the end by this object.
        case collect
        /// `/dev/null`.
        case discard
    }

    /// How the child ended.
    public enum Termination: Equatable, Sendable, CustomStringConvertible {
        case exited(Int32)
        case signaled(Int32)

        /// The status a shell reports: the exit code, or 128+N for signal N.
        public var status: Int32 {
            switch self {
            case .exited(let code): code
            case .signaled(let signal): 128 + signal
            }
        }

        public var description: String {
            switch self {
            case .exited(let code): "exited with \(code)"
            case .signaled(let signal): "killed by signal \(signal)"
            }
        }
    }

    /// What the child wrote and how it ended.
    public struct Finished: Sendable {
        public var termination: Termination
        public var standardOutput: String
        public var standardError: String
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public let pid: Int32
    /// Signals and waits go through it, so they never reach another
    /// process that reused the pid.
    private let pidfd: Int32
    private let command: String
    private let output: Collector?
    private let errors: Collector?
    private let termination = Mutex<Termination?>(nil)

    /// Starts `executable` (a path) with `arguments`; `environment` nil
    /// passes this process's environment; `directory` nil, this directory.
    public init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                directory: String? = nil, standardOutput: Stream = .collect, standardError: Stream = .collect) throws {
        command = ([executable] + arguments).joined(separator: " ")
        let null = open("/dev/null", O_RDWR | O_CLOEXEC)
        guard null >= 0 else { throw Failure(description: "open /dev/null: \(String(cString: strerror(errno)))") }
        defer { close(null) }
        var outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1]
        defer { for fd in [outPipe[1], errPipe[1]] where fd >= 0 { close(fd) } }
        for (stream, index) in [(standardOutput, 0), (standardError, 1)] where stream == .collect {
            var fds: [Int32] = [-1, -1]
            // No close-on-exec needed: the spawn closes every descriptor above 2.
            guard pipe(&fds) == 0 else {
                let reason = String(cString: strerror(errno))
                // The write ends are closed by the defer above.
                for fd in [outPipe[0], errPipe[0]] where fd >= 0 { close(fd) }
                throw Failure(description: "pipe: \(reason)")
            }
            if index == 0 { outPipe = fds } else { errPipe = fds }
        }

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { $0.map { strdup("\($0.key)=\($0.value)") } + [nil] }
        defer {
            argv.forEach { free($0) }
            envp?.forEach { free($0) }
        }
        var child: Int32 = 0
        let result: Int32 = envp.map { envp in
            test_spawn(executable, argv, envp, directory, null,
                       outPipe[1] >= 0 ? outPipe[1] : null, errPipe[1] >= 0 ? errPipe[1] : null, &child)
        } ?? test_spawn(executable, argv, nil, directory, null,
                        outPipe[1] >= 0 ? outPipe[1] : null, errPipe[1] >= 0 ? errPipe[1] : null, &child)
        guard result == 0 else {
            for fd in [outPipe[0], errPipe[0]] where fd >= 0 { close(fd) }
            throw Failure(description: "cannot start \(executable): \(String(cString: strerror(result)))")
        }
        let pidfd = test_pidfd_open(child)
        guard pidfd >= 0 else {
            let reason = String(cString: strerror(errno))
            kill(child, SIGKILL)
            var status: Int32 = 0
            waitpid(child, &status, 0)
            for fd in [outPipe[0], errPipe[0]] where fd >= 0 { close(fd) }
            throw Failure(description: "pidfd_open for \(executable): \(reason)")
        }
        pid = child
        self.pidfd = pidfd
        output = outPipe[0] >= 0 ? Collector(outPipe[0]) : nil
        errors = errPipe[0] >= 0 ? Collector(errPipe[0]) : nil
    }

    deinit {
        // A child nobody waited for is killed rather than left running.
        if termination.withLock({ $0 }) == nil {
            signal(SIGKILL)
            wait()
        }
        close(pidfd)
    }

    /// Sends `signal` to the child (nothing once it has ended).
    public func signal(_ signal: Int32) {
        _ = test_pidfd_signal(pidfd, signal)
    }

    /// Waits for the child to end and reaps it (once; later calls return the same).
    @discardableResult
    public func wait() -> Termination {
        wait(milliseconds: -1)!
    }

    /// The child's end, or nil when it is still running after `milliseconds`.
    private func wait(milliseconds: Int32) -> Termination? {
        termination.withLock { ended in
            if let ended { return ended }
            var code: Int32 = 0, signal: Int32 = 0
            switch test_pidfd_wait(pidfd, milliseconds, &code, &signal) {
            case 1:
                ended = signal == 0 ? .exited(code) : .signaled(signal)
            case 0:
                return nil
            default:
                // Reaped elsewhere or not ours: cannot happen with a pidfd
                // of our own child; say so rather than spin.
                ended = .exited(-1)
            }
            return ended
        }
    }

    /// Standard output so far.
    public var standardOutput: String { output?.text ?? "" }

    /// Waits until standard output holds a line (or ends, or `timeout`
    /// seconds pass), and returns that line: a server's ready line.
    public func firstLine(timeout: Double = 30) -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while let output, !output.hasLine, !output.ended, Date() < deadline { usleep(5_000) }
        return standardOutput.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
    }

    /// Waits for both output streams to end and for the child to exit; after
    /// `timeout` seconds in all kills it (SIGCONT first, for a stopped one)
    /// and throws.
    public func finish(timeout: Double = 60) throws -> Finished {
        let deadline = Date().addingTimeInterval(timeout)
        func giveUp() throws -> Never {
            signal(SIGCONT)
            signal(SIGKILL)
            wait()
            throw Failure(description: "\(command) did not finish in \(timeout) s")
        }
        while [output, errors].contains(where: { $0?.ended == false }) {
            if Date() > deadline { try giveUp() }
            usleep(2_000)
        }
        let remaining = max(0, deadline.timeIntervalSinceNow)
        guard let ended = wait(milliseconds: Int32(remaining * 1000)) else { try giveUp() }
        return Finished(termination: ended, standardOutput: output?.text ?? "", standardError: errors?.text ?? "")
    }
}

/// Reads one pipe to its end on a thread of its own.
private final class Collector: Sendable {
    private let state = Mutex<(data: [UInt8], ended: Bool)>(([], false))

    init(_ fd: Int32) {
        Thread.detachNewThread { [self] in
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                state.withLock { $0.data.append(contentsOf: buffer[0..<count]) }
            }
            close(fd)
            state.withLock { $0.ended = true }
        }
    }

    var ended: Bool { state.withLock { $0.ended } }
    var hasLine: Bool { state.withLock { $0.data.contains(UInt8(ascii: "\n")) } }
    var text: String { state.withLock { String(decoding: $0.data, as: UTF8.self) } }
}
