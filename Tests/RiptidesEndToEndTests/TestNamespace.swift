import Foundation
import Glibc

/// A network namespace the test makes itself (`ip netns add`), with lo up
/// and the given addresses on it: a host whose addresses the test chooses,
/// without touching the machine's. Deleted when released.
final class TestNamespace {
    let name: String

    /// iproute2's `ip`, where Debian puts it.
    static let ip: String? = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    /// Whether ::1 can be bound here (IPv6 present and enabled).
    static let hasIPv6Loopback: Bool = {
        let fd = socket(AF_INET6, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in6()
        address.sin6_family = sa_family_t(AF_INET6)
        address.sin6_addr = in6addr_loopback
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
        } == 0
    }()

    /// Root, `ip`, and IPv6: what a test host with IPv6 addresses needs.
    static let available = geteuid() == 0 && ip != nil && hasIPv6Loopback

    /// `addresses` in `ip addr` form, such as `fd00:53::53/128`.
    init(addresses: [String]) throws {
        guard let ip = Self.ip else { throw HarnessError("iproute2's ip is not installed") }
        name = "riptides-test-\(UUID().uuidString.prefix(8).lowercased())"
        var steps = [["netns", "add", name], ["-n", name, "link", "set", "lo", "up"]]
        steps += addresses.map { ["-n", name, "addr", "add", $0, "dev", "lo"] + ($0.contains(":") ? ["nodad"] : []) }
        for step in steps {
            let result = try Harness.run(ip, step)
            guard result.status == 0 else {
                _ = try? Harness.run(ip, ["netns", "del", name])
                throw HarnessError("ip \(step.joined(separator: " ")): \(result.stderr)")
            }
        }
    }

    /// `command` run inside this namespace.
    func wrapping(_ command: [String]) -> [String] {
        [Self.ip ?? "ip", "netns", "exec", name] + command
    }

    deinit {
        if let ip = Self.ip { _ = try? Harness.run(ip, ["netns", "del", name]) }
    }
}
