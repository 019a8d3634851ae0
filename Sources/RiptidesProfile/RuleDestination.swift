/// One entry of a rule's `to` list.
public enum RuleDestination: Hashable, Sendable, CustomStringConvertible {
    /// An address or CIDR block. IPv4-mapped IPv6 entries are stored as the IPv4 block they stand for.
    case prefix(IPPrefix)
    /// A host name or wildcard.
    case host(HostPattern)
    /// A unix socket path, from `unix:/path`.
    case unixPath(String)

    /// The entry as it would be written in a profile (normalised).
    public var description: String {
        switch self {
        case .prefix(let prefix): prefix.description
        case .host(let pattern): pattern.description
        case .unixPath(let path): "unix:" + path
        }
    }
}
