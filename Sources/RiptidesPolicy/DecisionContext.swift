import RiptidesProfile

/// What a decision was made on, kept so the reason can be written later.
enum DecisionContext: Sendable {
    case text(String)
    case match(MatchContext)
}

/// The attempt and what matched it.
struct MatchContext: Sendable {
    /// What the attempt was matched through.
    enum Subject: Sendable {
        /// An address, matched by a prefix of the rule.
        case address(IPAddress)
        /// An address, matched because one of its known names is in the rule.
        case addressByHost(IPAddress, host: String)
        /// A host name on its own.
        case host(String)
        case unixPath(String)
    }

    var rule: CompiledRule?
    var subject: Subject
    /// The concrete port, nil when the attempt named none.
    var port: UInt16?
    var transport: TransportProtocol?
    /// The address as given, when it was normalised before matching.
    var original: IPAddress?

    /// E.g. `0.0.0.0 is matched as 127.0.0.1`.
    var note: String? {
        guard let original, case .address(let address) = subject else {
            if let original, case .addressByHost(let address, _) = subject {
                return "\(original) is matched as \(address)"
            }
            return nil
        }
        return "\(original) is matched as \(address)"
    }

    var detail: String {
        var parts: [String] = []
        switch subject {
        case .address(let address):
            let prefix = rule?.rule.destinations.lazy.compactMap { destination -> IPPrefix? in
                if case .prefix(let prefix) = destination, prefix.contains(address) { return prefix }
                return nil
            }.first
            if let prefix, prefix.length < prefix.address.bitWidth {
                parts.append("address \(address) in \(prefix)")
            } else {
                parts.append("address \(address)")
            }
        case .addressByHost(let address, let host):
            parts.append("address \(address) of " + hostText(host))
        case .host(let host):
            parts.append(hostText(host))
        case .unixPath(let path):
            parts.append("unix path \(path)")
        }
        var isUnix = false
        if case .unixPath = subject { isUnix = true }
        if let rule, !isUnix {
            if let port {
                var text = rule.rule.ports == nil ? "port \(port) (any port)" : "port \(port)"
                if rule.rule.transport != .any { text += "/" + rule.rule.transport.rawValue }
                parts.append(text)
            } else {
                parts.append(rule.portsText)
            }
        }
        if let note { parts.append(note) }
        return parts.joined(separator: ", ")
    }

    private func hostText(_ host: String) -> String {
        let normalized = HostPattern.normalize(host)
        let pattern = rule?.rule.destinations.lazy.compactMap { destination -> HostPattern? in
            if case .host(let pattern) = destination, pattern.matches(normalized: normalized) { return pattern }
            return nil
        }.first
        if let pattern, pattern.isWildcard { return "host \(normalized) by \(pattern)" }
        return "host \(normalized)"
    }
}
