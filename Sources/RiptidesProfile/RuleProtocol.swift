/// The transport a rule applies to: `tcp`, `udp`, or `any` (the default).
public enum RuleProtocol: String, Sendable, Hashable, CaseIterable {
    case any, tcp, udp
}
