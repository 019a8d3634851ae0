import Synchronization

/// Which agent process a DNS query reaching the proxy came from (netns
/// tier), best effort. The query arrives on a socket, not as a trapped
/// call, so when the supervisor routes a call to a proxied nameserver it
/// notes the sending socket's local port once the call is made (the call
/// binds an unbound socket), and the proxy looks the port up. riptides never binds the agent's socket itself. The agent can
/// blur this (two of its processes sharing a socket, or two sockets sharing
/// a port): it names the process of the agent that last addressed, or
/// connected, a socket on that port.
public final class ResolverClients: Sendable {
    /// The process that addressed a query (for a connected socket: the one
    /// that connected it), and its executable.
    public struct Client: Sendable {
        public var pid: Int32
        public var exe: String?
    }

    private struct Table {
        /// Keyed by `port | 0x10000` for TCP, `port` for UDP.
        var clients: [UInt32: Client] = [:]
        /// Keys in the order they were first recorded, to forget the oldest.
        var order: [UInt32] = []
        var next = 0
    }

    private let table = Mutex(Table())
    /// Past this many ports the oldest is forgotten.
    private static let capacity = 4096

    public init() {}

    func record(port: UInt16, stream: Bool, client: Client) {
        let key = Self.key(port, stream)
        table.withLock { t in
            if t.clients.updateValue(client, forKey: key) != nil { return }
            if t.order.count < Self.capacity {
                t.order.append(key)
            } else {
                t.clients[t.order[t.next]] = nil
                t.order[t.next] = key
                t.next = (t.next + 1) % Self.capacity
            }
        }
    }

    func client(port: UInt16, stream: Bool) -> Client? {
        table.withLock { $0.clients[Self.key(port, stream)] }
    }

    private static func key(_ port: UInt16, _ stream: Bool) -> UInt32 { UInt32(port) | (stream ? 0x10000 : 0) }
}
