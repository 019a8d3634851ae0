/// What the policy says about an attempt.
public enum Verdict: String, Sendable, Hashable {
    case allow, deny
}
