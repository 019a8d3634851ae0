import CRiptides
import Glibc
public import RiptidesAudit
public import RiptidesPolicy
public import RiptidesProfile
import RiptidesSystem
import Synchronization

/// The netns tier's resolver gate (threat model item 15). In the agent's
/// namespace each nameserver address is bound by a socket riptides holds,
/// so every DNS query the agent sends arrives here. A query for a name no
/// host rule allows is answered REFUSED and never leaves the host (so a
/// `<secret>.attacker.example` lookup carries nothing out); an allowed one
/// is forwarded to the real nameserver and the answer relayed back, and the
/// addresses in it are bound to the name for this agent.
public final class DNSProxy: Sendable {
    /// One nameserver: the agent-side socket (in its namespace, bound to
    /// the server's address, port 53) and the upstream socket (here,
    /// connected to the server).
    struct Server: Sendable {
        var address: IPAddress
        var agentSide: CInt
        var upstream: CInt
        /// Listening for DNS over TCP (large answers), in the agent's namespace.
        var tcpListener: CInt
    }

    /// Where a query over UDP came from, in the agent's namespace.
    struct Client {
        var address = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
    }

    /// A forwarded query waiting for its answer.
    struct Pending {
        var originalID: UInt16
        var client: Client
        var server: Int
        var name: String
        var type: UInt16
        var sent: timespec
    }

    private let servers: [Server]
    private let policy: EgressPolicy
    private let mode: ProfileMode
    private let audit: AuditLog
    private let bindings: HostNameBindings
    private let clients: ResolverClients
    private let pending = Mutex<[UInt16: Pending]>([:])
    /// DNS-over-TCP connections being served: each holds a thread and a
    /// descriptor of riptides's, so there are at most `maximumTCPClients`.
    private let tcpClients = Atomic<Int>(0)
    private static let maximumTCPClients = 16
    /// The longest a TCP client may take, in all, before it is closed.
    private static let tcpClientDeadline: Int = 30

    /// Takes ownership of the agent-side sockets; `upstream` addresses are
    /// the nameservers, in the same order.
    public init(agentSockets: [CInt], tcpListeners: [CInt], nameservers: [IPAddress], policy: EgressPolicy,
                mode: ProfileMode, audit: AuditLog, bindings: HostNameBindings, clients: ResolverClients) {
        var servers: [Server] = []
        for ((socket, listener), address) in zip(zip(agentSockets, tcpListeners), nameservers) {
            let upstream = Glibc.socket(address.family == .v4 ? AF_INET : AF_INET6, CInt(SOCK_DGRAM.rawValue) | CInt(SOCK_CLOEXEC.rawValue), 0)
            guard upstream >= 0 else { close(socket); close(listener); continue }
            guard Self.connect(upstream, toNameserver: address) else { close(socket); close(upstream); close(listener); continue }
            // Accepting must never block the proxy's one thread.
            _ = rt_fcntl_int(listener, F_SETFL, O_NONBLOCK)
            servers.append(Server(address: address, agentSide: socket, upstream: upstream, tcpListener: listener))
        }
        self.servers = servers
        self.policy = policy
        self.mode = mode
        self.audit = audit
        self.bindings = bindings
        self.clients = clients
    }

    /// Serves queries on a thread of its own until riptides exits.
    public func start() {
        guard !servers.isEmpty else { return }
        Thread.detach { [self] in self.run() }
    }

    private func run() {
        var lastExpiry = timespec()
        clock_gettime(CLOCK_MONOTONIC, &lastExpiry)
        var fds: [pollfd] = servers.flatMap {
            [pollfd(fd: $0.agentSide, events: Int16(POLLIN), revents: 0), pollfd(fd: $0.upstream, events: Int16(POLLIN), revents: 0),
             pollfd(fd: $0.tcpListener, events: Int16(POLLIN), revents: 0)]
        }
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let ready = poll(&fds, nfds_t(fds.count), 1000)
            if ready < 0 && errno != EINTR { return }
            var now = timespec()
            clock_gettime(CLOCK_MONOTONIC, &now)
            if now.tv_sec > lastExpiry.tv_sec {
                expire(now: now)
                lastExpiry = now
            }
            guard ready > 0 else { continue }
            for (index, entry) in fds.enumerated() where entry.revents & Int16(POLLIN) != 0 {
                let server = index / 3
                switch index % 3 {
                case 0: query(from: server, buffer: &buffer)
                case 1: answer(from: server, buffer: &buffer)
                default: acceptTCP(on: server)
                }
            }
        }
    }

    /// A query from the agent: decide on its name, then forward or refuse.
    private func query(from server: Int, buffer: inout [UInt8]) {
        var client = Client()
        let n = buffer.withUnsafeMutableBytes { bytes in
            withUnsafeMutablePointer(to: &client.address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    recvfrom(servers[server].agentSide, bytes.baseAddress, bytes.count, CInt(MSG_DONTWAIT), $0, &client.length)
                }
            }
        }
        guard n > 0 else { return }
        var message = Array(buffer[0..<n])
        let sender = SocketName.port(of: client.address).flatMap { querySender(port: $0) }
        guard let question = admit(message, server: server, protocol: "udp", sender: sender),
              let originalID = DNSMessage.id(message) else {
            if message.count >= 12 { reply(DNSMessage.refused(message), to: client, via: server) }
            return
        }
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        // A fresh random ID per forwarded query; a busy table refuses rather
        // than overwrite a query still waiting for its answer.
        let entry = Pending(originalID: originalID, client: client, server: server, name: question.name,
                            type: question.type, sent: now)
        let id: UInt16? = pending.withLock { table in
            for _ in 0..<8 {
                let candidate = UInt16.random(in: 0...UInt16.max)
                if table[candidate] == nil { table[candidate] = entry; return candidate }
            }
            return nil
        }
        guard let id else {
            reply(DNSMessage.refused(message), to: client, via: server)
            return
        }
        DNSMessage.setID(id, in: &message)
        _ = message.withUnsafeBytes { send(servers[server].upstream, $0.baseAddress, $0.count, CInt(MSG_DONTWAIT)) }
    }

    /// Decides on a query by its name (and audits it): the question when it
    /// may be forwarded, nil when it is to be refused.
    /// The agent process a UDP query from `port` came from. riptides
    /// records an unbound socket's port just after the send that bound it,
    /// so a query read at once may be a little ahead: wait up to 1 ms.
    private func querySender(port: UInt16) -> ResolverClients.Client? {
        for _ in 0..<20 {
            if let known = clients.client(port: port, stream: false) { return known }
            usleep(50)
        }
        return nil
    }

    /// `sender`: the agent process the query came from, when known.
    private func admit(_ message: [UInt8], server: Int, protocol transport: String,
                       sender: ResolverClients.Client?) -> DNSMessage.Question? {
        let address = servers[server].address.description
        guard let question = DNSMessage.question(ofQuery: message) else {
            audit.decision(event: "dns", pid: sender?.pid, exe: sender?.exe, protocol: transport, address: address, port: 53,
                           host: nil, verdict: .deny, rule: nil, reason: "not a DNS query with one question", mode: mode)
            return nil
        }
        let decision = policy.evaluate(host: question.name, port: nil, protocol: nil)
        audit.decision(event: "dns", pid: sender?.pid, exe: sender?.exe, protocol: transport, address: address, port: 53,
                       host: question.name, verdict: decision.verdict, rule: decision.rule, reason: decision.reason, mode: mode)
        return decision.verdict == .allow || mode == .observe ? question : nil
    }

    // MARK: DNS over TCP

    /// A TCP connection from the agent (a resolver retrying a truncated
    /// answer): served on a thread of its own, one query at a time.
    private func acceptTCP(on server: Int) {
        var peer = sockaddr_storage()
        var peerLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let client = withUnsafeMutablePointer(to: &peer) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { accept(servers[server].tcpListener, $0, &peerLength) }
        }
        guard client >= 0 else {
            // Out of descriptors: poll would report the listener ready at once
            // again; pause rather than spin.
            if errno == EMFILE || errno == ENFILE { usleep(10_000) }
            return
        }
        _ = rt_fcntl_int(client, F_SETFD, FD_CLOEXEC)
        guard tcpClients.add(1, ordering: .relaxed).newValue <= Self.maximumTCPClients else {
            tcpClients.subtract(1, ordering: .relaxed)
            close(client)
            return
        }
        let port = SocketName.port(of: peer)
        let started = Thread.detach { [self] in
            self.serveTCP(client, server: server, peerPort: port)
            tcpClients.subtract(1, ordering: .relaxed)
        }
        if !started {
            tcpClients.subtract(1, ordering: .relaxed)
            close(client)
        }
    }

    /// `peerPort`: the agent socket's port. Its sender is looked up when the
    /// first query has arrived: the agent sends it only once its connect,
    /// after which riptides records the port, has returned.
    private func serveTCP(_ client: CInt, server: Int, peerPort: UInt16?) {
        defer { close(client) }
        Self.setTimeouts(client, seconds: 10)
        var start = timespec()
        clock_gettime(CLOCK_MONOTONIC, &start)
        let deadline = start.tv_sec + Self.tcpClientDeadline
        var sender: ResolverClients.Client?
        while let query = Self.readFrame(client, deadline: deadline) {
            if sender == nil, let peerPort { sender = clients.client(port: peerPort, stream: true) }
            guard let question = admit(query, server: server, protocol: "tcp", sender: sender) else {
                guard query.count >= 12, Self.writeFrame(DNSMessage.refused(query), to: client) else { return }
                continue
            }
            guard var answer = forwardTCP(query, server: server), DNSMessage.id(answer) == DNSMessage.id(query),
                  DNSMessage.question(ofResponse: answer) == question else { return }
            bindings.bind(DNSMessage.addresses(inResponse: answer), to: question.name)
            answer[0] = query[0]
            answer[1] = query[1]
            guard Self.writeFrame(answer, to: client) else { return }
        }
    }

    /// One query over a fresh TCP connection to the nameserver, from here.
    private func forwardTCP(_ query: [UInt8], server: Int) -> [UInt8]? {
        let address = servers[server].address
        let upstream = Glibc.socket(address.family == .v4 ? AF_INET : AF_INET6, CInt(SOCK_STREAM.rawValue) | CInt(SOCK_CLOEXEC.rawValue), 0)
        guard upstream >= 0 else { return nil }
        defer { close(upstream) }
        Self.setTimeouts(upstream, seconds: 10)
        guard Self.connect(upstream, toNameserver: address), Self.writeFrame(query, to: upstream) else { return nil }
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Self.readFrame(upstream, deadline: now.tv_sec + Self.tcpClientDeadline)
    }

    /// Connects `fd` to `address`, port 53.
    private static func connect(_ fd: CInt, toNameserver address: IPAddress) -> Bool {
        var target = sockaddr_storage()
        let length: Int
        let bytes = address.networkBytes
        if address.family == .v4 {
            length = MemoryLayout<sockaddr_in>.size
            withUnsafeMutableBytes(of: &target) { raw in
                raw.storeBytes(of: sa_family_t(AF_INET), toByteOffset: MemoryLayout<sockaddr_in>.offset(of: \.sin_family)!, as: sa_family_t.self)
                raw.storeBytes(of: UInt16(53).bigEndian, toByteOffset: MemoryLayout<sockaddr_in>.offset(of: \.sin_port)!, as: UInt16.self)
                let at = MemoryLayout<sockaddr_in>.offset(of: \.sin_addr)!
                for (i, byte) in bytes.enumerated() { raw[at + i] = byte }
            }
        } else {
            length = MemoryLayout<sockaddr_in6>.size
            withUnsafeMutableBytes(of: &target) { raw in
                raw.storeBytes(of: sa_family_t(AF_INET6), toByteOffset: MemoryLayout<sockaddr_in6>.offset(of: \.sin6_family)!, as: sa_family_t.self)
                raw.storeBytes(of: UInt16(53).bigEndian, toByteOffset: MemoryLayout<sockaddr_in6>.offset(of: \.sin6_port)!, as: UInt16.self)
                let at = MemoryLayout<sockaddr_in6>.offset(of: \.sin6_addr)!
                for (i, byte) in bytes.enumerated() { raw[at + i] = byte }
            }
        }
        return withUnsafePointer(to: &target) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(length)) }
        } == 0
    }

    private static func setTimeouts(_ fd: CInt, seconds: Int) {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        for option in [SO_RCVTIMEO, SO_SNDTIMEO] {
            _ = setsockopt(fd, SOL_SOCKET, option, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }
    }

    /// A two-byte length, then that many bytes (RFC 1035 4.2.2), all by
    /// `deadline` (CLOCK_MONOTONIC seconds): a trickle cannot hold a thread.
    private static func readFrame(_ fd: CInt, deadline: Int) -> [UInt8]? {
        guard let prefix = readExactly(fd, 2, deadline: deadline) else { return nil }
        let length = Int(prefix[0]) << 8 | Int(prefix[1])
        guard length >= 12 else { return nil }
        return readExactly(fd, length, deadline: deadline)
    }

    private static func readExactly(_ fd: CInt, _ count: Int, deadline: Int) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            var now = timespec()
            clock_gettime(CLOCK_MONOTONIC, &now)
            guard now.tv_sec < deadline else { return nil }
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + got, count - got) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return nil }
            got += n
        }
        return bytes
    }

    private static func writeFrame(_ message: [UInt8], to fd: CInt) -> Bool {
        guard message.count <= 65535 else { return false }
        let framed = [UInt8(message.count >> 8), UInt8(message.count & 0xff)] + message
        return framed.withUnsafeBytes { writeAll(fd, $0) }.isSuccess
    }

    /// An answer from a nameserver: back to the agent that asked, with its
    /// addresses bound to the name.
    private func answer(from server: Int, buffer: inout [UInt8]) {
        let n = buffer.withUnsafeMutableBytes { recv(servers[server].upstream, $0.baseAddress, $0.count, CInt(MSG_DONTWAIT)) }
        guard n >= 12 else { return }
        var message = Array(buffer[0..<n])
        // Only the answer to the question asked, from the server asked.
        guard let id = DNSMessage.id(message), message[2] & 0x80 != 0 else { return }
        let question = DNSMessage.question(ofResponse: message)
        let entry: Pending? = pending.withLock { table in
            guard let waiting = table[id], waiting.server == server,
                  question == DNSMessage.Question(name: waiting.name, type: waiting.type) else { return nil }
            return table.removeValue(forKey: id)
        }
        guard let entry else { return }
        bindings.bind(DNSMessage.addresses(inResponse: message), to: entry.name)
        DNSMessage.setID(entry.originalID, in: &message)
        reply(message, to: entry.client, via: server)
    }

    private func reply(_ message: [UInt8], to client: Client, via server: Int) {
        var address = client.address
        _ = message.withUnsafeBytes { bytes in
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(servers[server].agentSide, bytes.baseAddress, bytes.count, CInt(MSG_DONTWAIT), $0, client.length)
                }
            }
        }
    }

    /// Forgets queries unanswered for 30 s (the resolver has given up).
    private func expire(now: timespec) {
        pending.withLock { table in
            table = table.filter { now.tv_sec - $0.value.sent.tv_sec < 30 }
        }
    }

    /// Whether `address`:53 is a nameserver whose queries come here.
    public func isProxied(_ address: IPAddress) -> Bool {
        servers.contains { $0.address == address }
    }
}
