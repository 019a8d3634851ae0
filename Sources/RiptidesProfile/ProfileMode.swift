/// Whether denials are enforced (`enforce`, the default) or only logged while
/// the call proceeds (`observe`).
public enum ProfileMode: String, Sendable, Hashable, CaseIterable {
    case enforce, observe
}
