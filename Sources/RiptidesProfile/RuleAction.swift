/// What a matching rule does. Deny rules are checked before allow rules.
public enum RuleAction: String, Sendable, Hashable, CaseIterable {
    case allow, deny
}
