import Glibc
public import RiptidesPolicy
public import RiptidesProfile
import Synchronization

/// One session's audit: numbers the events, stamps them, and counts the
/// decisions for the summary printed at exit.
public final class AuditLog: Sendable {
    public let session: String
    public let identity: String?
    private let sink: AuditSink
    private let sequence = Atomic<Int>(0)
    private let tally = Mutex(Tally())

    /// Decision counts and the distinct denied destinations, in order seen.
    public struct Tally: Sendable {
        public var allowed = 0
        public var denied = 0
        public var deniedDestinations: [String] = []
    }

    public init(identity: String?, sink: AuditSink) {
        self.identity = identity
        self.sink = sink
        session = Self.newSessionID()
    }

    private func begin(_ event: String) -> JSONLine {
        var line = JSONLine()
        line.add("time", AuditClock.now())
        line.add("session", session)
        line.add("seq", sequence.add(1, ordering: .relaxed).oldValue)
        line.add("event", event)
        line.add("identity", identity)
        return line
    }

    public func sessionStart(mode: ProfileMode, profile: String?, command: [String], pid: Int32, isolation: String) {
        var line = begin("session.start")
        line.add("mode", mode.rawValue)
        line.add("profile", profile)
        line.add("command", command)
        line.add("pid", pid)
        line.add("isolation", isolation)
        sink.write(line.line)
    }

    /// Logs one decision on a trapped call. `address` is the destination as
    /// the agent gave it (for unix sockets, the path). `tid` is the calling
    /// thread, logged when it is not the process's main thread.
    public func decision(
        event: String, pid: Int32?, tid: Int32? = nil, exe: String?, protocol: String, address: String, port: UInt16?,
        host: String?, verdict: Verdict, rule: String?, reason: String, mode: ProfileMode
    ) {
        var line = begin(event)
        line.add("pid", pid)
        if let tid, tid != pid { line.add("tid", tid) }
        line.add("exe", exe)
        line.add("protocol", `protocol`)
        line.add("address", address)
        if let port { line.add("port", port) }
        if let host { line.add("host", host) }
        line.add("decision", verdict.rawValue)
        line.add("rule", rule)
        line.add("mode", mode.rawValue)
        line.add("reason", reason)
        sink.write(line.line)

        guard verdict == .deny else {
            tally.withLock { $0.allowed += 1 }
            return
        }
        // Only denials are named in the summary: build the text for them alone.
        let destination = port.map { p in address.contains(":") ? "[\(address)]:\(p)" : "\(address):\(p)" } ?? address
        let shown = host.map { "\($0) (\(destination))" } ?? destination
        tally.withLock { t in
            t.denied += 1
            if !t.deniedDestinations.contains(shown) { t.deniedDestinations.append(shown) }
        }
    }

    public func sessionEnd(exitStatus: Int32, signal: Int32?) {
        let t = tally.withLock { $0 }
        var line = begin("session.end")
        line.add("exit_status", exitStatus)
        line.add("signal", signal)
        line.add("decisions", counters: [("allow", t.allowed), ("deny", t.denied)])
        sink.write(line.line)
    }

    public var summary: Tally { tally.withLock { $0 } }

    static func newSessionID() -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        bytes[6] = (bytes[6] & 0x0f) | 0x40
        bytes[8] = (bytes[8] & 0x3f) | 0x80
        let hex = bytes.map { b in (b < 16 ? "0" : "") + String(b, radix: 16) }
        return [hex[0..<4], hex[4..<6], hex[6..<8], hex[8..<10], hex[10..<16]].map { $0.joined() }.joined(separator: "-")
    }
}
