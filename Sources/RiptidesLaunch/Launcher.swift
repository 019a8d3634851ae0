import CRiptides
import Glibc
public import RiptidesFilter
public import RiptidesSystem

/// What to start, and how to confine it.
public struct LaunchRequest: Sendable {
    public var executable: String          // a resolved path
    public var arguments: [String]         // argv, argv[0] included
    public var environment: [String: String]
    public var filter: FilterProgram
    /// Ask the kernel to let a signal interrupt the agent only before the
    /// supervisor has received its notification (Linux 5.19+).
    public var waitKillableReceive = true
    /// Run as this user and group, with these supplementary groups.
    public var credentials: (uid: UInt32, gid: UInt32, groups: [UInt32])?
    /// Drop every capability but these (numbers) from every set; nil keeps them.
    public var keepCapabilities: Set<Int>?
    /// A Landlock ruleset the agent restricts itself with, before the filter.
    public var landlockRuleset: CInt?
    /// Give the agent its own network namespace with only loopback (the
    /// isolation tier); `userNamespace` when riptides is not root.
    public var networkNamespace = false
    public var userNamespace = false
    /// Nameservers whose queries the agent's namespace delivers to
    /// riptides's DNS proxy (netns tier only): 4 (IPv4) or 16 (IPv6) bytes
    /// each, in network order.
    public var dnsServers: [[UInt8]] = []
    /// Whether the host has an IPv4 address besides 127.0.0.1, and an IPv6
    /// one besides ::1: what getaddrinfo's `AI_ADDRCONFIG` goes by. The
    /// agent's namespace is given a placeholder of each it would lack.
    public var hostHasIPv4 = false
    public var hostHasIPv6 = false
    /// The soft descriptor limit the agent gets (riptides may have raised
    /// its own); nil leaves it as inherited.
    public var fileLimit: UInt64?

    public init(executable: String, arguments: [String], environment: [String: String], filter: FilterProgram) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.filter = filter
    }
}

/// A started agent: its pid, a pidfd, and the supervisor's listener.
@frozen
public struct LaunchedProcess: ~Copyable {
    public let pid: Int32
    public let pidfd: FileDescriptor
    public let listener: FileDescriptor
    public let waitKillable: Bool
    /// Per `dnsServers` entry, in order: its sockets in the agent's
    /// namespace, or nil for an IPv6 nameserver the kernel could not give
    /// the namespace.
    public let dnsSockets: [DNSSockets?]
}

/// A UDP socket and a listening TCP socket bound to a nameserver's address,
/// port 53, in the agent's namespace (raw descriptors, owned by the caller).
public struct DNSSockets: Sendable {
    public let udp: CInt
    public let tcp: CInt
}

/// Why the launch failed, with the stage and errno the child reported.
public struct LaunchError: Error, CustomStringConvertible {
    public var stage: String
    public var errno: Errno
    public var path: String

    /// Creating the namespaces was refused: the filter tier may still work.
    public var namespacesUnavailable: Bool {
        stage == "clone3" || stage == "mapping the agent's user namespace"
            || stage == "bringing up loopback in the agent's network namespace"
    }

    public var description: String {
        stage == "exec" ? "\(path): cannot execute: \(errno)" : "starting \(path): \(stage): \(errno)"
    }

    /// The exit status `riptides exec` reports: 126/127 for exec failures
    /// (as `env` does), 125 for anything of riptides's own.
    public var exitStatus: Int32 {
        guard stage == "exec" else { return 125 }
        return errno.rawValue == ENOENT || errno.rawValue == ENOTDIR ? 127 : 126
    }
}

/// Starts agents under the filter. The child side is C (`rt_spawn`).
public enum Launcher {
    public static func spawn(_ request: LaunchRequest) throws(LaunchError) -> LaunchedProcess {
        let argv = request.arguments.map { strdup($0) } + [nil]
        let envp = request.environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        let groups = request.credentials?.groups ?? []
        var result = rt_spawn_result()
        let rc: CInt = request.filter.bytes.withUnsafeBytes { filterBytes in
            var program = sock_fprog(
                len: UInt16(filterBytes.count / MemoryLayout<sock_filter>.size),
                filter: UnsafeMutablePointer(mutating: filterBytes.bindMemory(to: sock_filter.self).baseAddress)
            )
            return groups.withUnsafeBufferPointer { groupBuffer in
                request.executable.withCString { path in
                    argv.withUnsafeBufferPointer { argvBuffer in
                        envp.withUnsafeBufferPointer { envBuffer in
                            var spawn = rt_spawn_request()
                            spawn.path = path
                            spawn.argv = argvBuffer.baseAddress
                            spawn.envp = envBuffer.baseAddress
                            spawn.uid = -1
                            spawn.gid = -1
                            if let creds = request.credentials {
                                spawn.uid = Int64(creds.uid)
                                spawn.gid = Int64(creds.gid)
                                spawn.groups = groupBuffer.baseAddress
                                spawn.group_count = CInt(groupBuffer.count)
                            }
                            if let keep = request.keepCapabilities {
                                spawn.drop_capabilities = 1
                                spawn.keep_capabilities = keep.reduce(UInt64(0)) { $0 | (1 << UInt64($1)) }
                            }
                            spawn.landlock_ruleset_fd = request.landlockRuleset ?? -1
                            spawn.new_netns = request.networkNamespace ? 1 : 0
                            spawn.new_userns = request.userNamespace ? 1 : 0
                            spawn.file_limit = request.fileLimit ?? 0
                            spawn.host_families = (request.hostHasIPv4 ? RT_FAMILY_IPV4 : 0) | (request.hostHasIPv6 ? RT_FAMILY_IPV6 : 0)
                            spawn.dns_server_count = request.networkNamespace ? CInt(min(request.dnsServers.count, Int(RT_MAX_DNS))) : 0
                            spawn.filter_flags = request.waitKillableReceive ? UInt32(SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV) : 0
                            return withUnsafePointer(to: &program) { prog in
                                spawn.filter = prog
                                let servers = request.dnsServers.prefix(Int(RT_MAX_DNS)).map(Self.ipAddress)
                                return servers.withUnsafeBufferPointer { servers in
                                    spawn.dns_servers = servers.baseAddress
                                    return rt_spawn(&spawn, &result)
                                }
                            }
                        }
                    }
                }
            }
        }
        guard rc == 0 else {
            throw LaunchError(stage: stageName(result.failed_stage), errno: Errno(rawValue: result.error), path: request.executable)
        }
        return LaunchedProcess(
            pid: result.pid,
            pidfd: FileDescriptor(adopting: result.pidfd),
            listener: FileDescriptor(adopting: result.listener),
            waitKillable: result.wait_killable != 0,
            dnsSockets: Self.dnsSockets(result, count: request.networkNamespace ? min(request.dnsServers.count, Int(RT_MAX_DNS)) : 0)
        )
    }

    private static func ipAddress(_ bytes: [UInt8]) -> rt_ip_address {
        var address = rt_ip_address()
        address.family = bytes.count == 16 ? AF_INET6 : AF_INET
        withUnsafeMutableBytes(of: &address.bytes) { raw in
            for (i, byte) in bytes.prefix(16).enumerated() { raw[i] = byte }
        }
        return address
    }

    private static func dnsSockets(_ result: rt_spawn_result, count: Int) -> [DNSSockets?] {
        let udp = withUnsafeBytes(of: result.dns_sockets) { Array($0.bindMemory(to: CInt.self)) }
        let tcp = withUnsafeBytes(of: result.dns_tcp_sockets) { Array($0.bindMemory(to: CInt.self)) }
        return (0..<count).map { i in udp[i] >= 0 && tcp[i] >= 0 ? DNSSockets(udp: udp[i], tcp: tcp[i]) : nil }
    }

    static func stageName(_ stage: CInt) -> String {
        switch UInt32(stage) {
        case RT_STAGE_SIGNALS.rawValue: "resetting signals"
        case RT_STAGE_FDS.rawValue: "closing inherited descriptors"
        case RT_STAGE_CAPABILITIES.rawValue: "dropping capabilities"
        case RT_STAGE_CREDENTIALS.rawValue: "changing user and group"
        case RT_STAGE_NO_NEW_PRIVS.rawValue: "setting no_new_privs"
        case RT_STAGE_LANDLOCK.rawValue: "entering the Landlock domain"
        case RT_STAGE_SECCOMP.rawValue: "installing the seccomp filter"
        case RT_STAGE_HANDOFF.rawValue: "taking the notification listener"
        case RT_STAGE_EXEC.rawValue: "exec"
        case RT_STAGE_CLONE.rawValue: "clone3"
        case RT_STAGE_NETNS.rawValue: "bringing up loopback in the agent's network namespace"
        case RT_STAGE_USERNS.rawValue: "mapping the agent's user namespace"
        case RT_STAGE_DNS.rawValue: "binding the DNS proxy's address in the agent's namespace"
        default: "preparing the launch"
        }
    }
}
