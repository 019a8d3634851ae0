public import RiptidesProfile

/// The DESTINATION argument of `riptides explain`: `host[:port]`,
/// `ip[:port]`, `[v6]:port`, a bare IPv6 address, or `unix:/path`.
public enum ExplainDestination: Hashable, Sendable {
    case host(String, port: UInt16?)
    case address(IPAddress, port: UInt16?)
    case unixPath(String)

    public init(parsing text: String) throws(SyntaxError) {
        if text.hasPrefix("unix:") {
            let path = String(text.dropFirst(5))
            guard path.hasPrefix("/") else { throw SyntaxError("'\(text)': expected unix: followed by an absolute path") }
            self = .unixPath(path)
            return
        }
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw SyntaxError("'\(text)': missing ']' after the IPv6 address") }
            let inside = String(text[text.index(after: text.startIndex)..<close])
            guard let address = IPAddress(inside), address.family == .v6 else {
                throw SyntaxError("'\(inside)' is not an IPv6 address")
            }
            let rest = text[text.index(after: close)...]
            if rest.isEmpty {
                self = .address(address, port: nil)
            } else {
                guard rest.hasPrefix(":") else { throw SyntaxError("'\(text)': expected ':PORT' after ']'") }
                self = .address(address, port: try Self.port(rest.dropFirst(), in: text))
            }
            return
        }
        let colons = text.filter { $0 == ":" }.count
        if colons > 1 {
            guard let address = IPAddress(text) else {
                throw SyntaxError("'\(text)' is not an IPv6 address; write [ADDRESS]:PORT to give a port")
            }
            self = .address(address, port: nil)
            return
        }
        var name = Substring(text)
        var port: UInt16?
        if colons == 1, let colon = text.firstIndex(of: ":") {
            name = text[..<colon]
            port = try Self.port(text[text.index(after: colon)...], in: text)
        }
        guard !name.isEmpty else { throw SyntaxError("'\(text)': missing host name or address") }
        if let address = IPAddress(String(name)) {
            self = .address(address, port: port)
            return
        }
        let pattern: HostPattern
        do throws(SyntaxError) {
            pattern = try HostPattern(parsing: String(name))
        } catch {
            if name.allSatisfy({ $0 == "." || $0.isASCII && $0.isNumber }) {
                throw SyntaxError("'\(name)' is not a valid IPv4 address; expected a.b.c.d, each part 0-255 without leading zeros")
            }
            throw error
        }
        guard !pattern.isWildcard else {
            throw SyntaxError("'\(name)' is a wildcard; explain takes one host name, e.g. api.\(pattern.name)")
        }
        self = .host(pattern.name, port: port)
    }

    public var port: UInt16? {
        switch self {
        case .host(_, let port), .address(_, let port): port
        case .unixPath: nil
        }
    }

    private static func port(_ text: Substring, in whole: String) throws(SyntaxError) -> UInt16 {
        guard !text.isEmpty, text.count <= 5, text.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(text), value <= 65535 else {
            throw SyntaxError("'\(text)' in '\(whole)' is not a port; expected a number from 0 to 65535")
        }
        return UInt16(value)
    }
}
