extension RuleDestination {
    /// The longest socket path `sun_path` holds, without its terminating NUL.
    static let maximumUnixPathLength = 107

    /// Parses one `to` entry: `unix:/path`, an IP address, a CIDR block, a
    /// host name or a `*.` wildcard. IPv4-mapped IPv6 entries become the IPv4
    /// address or block they stand for, because destinations are matched that way.
    public init(parsing text: String) throws(SyntaxError) {
        guard !text.isEmpty else {
            throw SyntaxError("empty destination; expected a host name, IP address, CIDR block or unix:/path")
        }
        if text.hasPrefix("unix:") {
            let path = String(text.dropFirst(5))
            guard path.hasPrefix("/") else {
                throw SyntaxError("'\(text)' is not a unix socket entry; expected unix: followed by an absolute path, e.g. unix:/run/agent.sock")
            }
            guard !path.utf8.contains(0) else { throw SyntaxError("unix socket path '\(path)' contains a NUL byte") }
            guard path.utf8.count <= Self.maximumUnixPathLength else {
                throw SyntaxError("unix socket path is \(path.utf8.count) bytes long; a socket path holds at most \(Self.maximumUnixPathLength)")
            }
            self = .unixPath(path)
            return
        }
        if let schemeEnd = text.firstRange(of: "://") {
            let host = text[schemeEnd.upperBound...].prefix { $0 != "/" && $0 != ":" }
            throw SyntaxError("'\(text)' is a URL; write only the host name, e.g. \(host), and put ports in 'ports'")
        }
        if text.hasPrefix("[") {
            throw SyntaxError("write IPv6 addresses without brackets, e.g. ::1, and put ports in 'ports'")
        }
        if text.contains("/") || text.contains(":") || text.allSatisfy({ $0 == "." || $0.isASCII && $0.isNumber }) {
            if !text.contains("/"), let colon = text.lastIndex(of: ":"), text.firstIndex(of: ":") == colon,
               !text[text.index(after: colon)...].isEmpty, text[text.index(after: colon)...].allSatisfy({ $0.isASCII && $0.isNumber }) {
                throw SyntaxError("'\(text)' has a port; write '\(text[..<colon])' in 'to' and \(text[text.index(after: colon)...]) in 'ports'")
            }
            let prefix: IPPrefix
            do {
                prefix = try IPPrefix(parsing: text)
            } catch {
                if !text.contains("/"), !text.contains(":") {
                    throw SyntaxError("'\(text)' is not a valid IPv4 address; expected a.b.c.d, each part 0-255 without leading zeros")
                }
                throw error
            }
            if prefix.length == prefix.address.bitWidth, prefix.address.isUnspecified || prefix.address.unmappedIPv4?.isUnspecified == true {
                let loopback = prefix.address.family == .v4 || prefix.unmappedIPv4 != nil ? "127.0.0.1" : "::1"
                throw SyntaxError("'\(text)' is not a destination: a connection to it reaches loopback, so it is matched as \(loopback); write \(loopback)")
            }
            self = .prefix(prefix.unmappedIPv4 ?? prefix)
            return
        }
        self = .host(try HostPattern(parsing: text))
    }
}
