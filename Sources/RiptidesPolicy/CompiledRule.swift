import RiptidesProfile

/// A rule as the compiled policy keeps it: shared by reference so a
/// ``Decision`` can name it without copying.
final class CompiledRule: Sendable {
    let index: Int32
    let rule: Rule

    init(index: Int32, rule: Rule) {
        self.index = index
        self.rule = rule
    }

    var name: String { rule.name }
    var action: RuleAction { rule.action }

    func covers(_ transport: TransportProtocol) -> Bool {
        switch rule.transport {
        case .any: true
        case .tcp: transport == .tcp
        case .udp: transport == .udp
        }
    }

    func covers(port: UInt16) -> Bool {
        guard let ports = rule.ports else { return true }
        return ports.contains { $0.contains(port) }
    }

    /// `ports 443, 8000-8999` or `any port`, and the protocol when the rule names one.
    var portsText: String {
        var text: String
        if let ports = rule.ports {
            text = (ports.count == 1 && ports[0].lower == ports[0].upper ? "port " : "ports ")
                + ports.map(\.description).joined(separator: ", ")
            if rule.transport != .any { text += "/" + rule.transport.rawValue }
        } else {
            text = rule.transport == .any ? "any port" : "any port over \(rule.transport.rawValue)"
        }
        return text
    }
}
