public import RiptidesProfile

/// The policy's answer for one attempt: the verdict, the rule that made it
/// (nil when nothing matched), and why.
///
/// The reason text is built only when read, so that deciding does not allocate.
public struct Decision: Sendable {
    public var verdict: Verdict
    /// The name of the rule that decided; nil when no rule matched.
    public var rule: String?
    var context: DecisionContext

    /// A decision with a reason of your own (for decisions made outside the policy).
    public init(verdict: Verdict, rule: String?, reason: String) {
        self.verdict = verdict
        self.rule = rule
        self.context = .text(reason)
    }

    init(verdict: Verdict, matched: CompiledRule?, context: DecisionContext) {
        self.verdict = verdict
        self.rule = matched?.name
        self.context = context
    }

    /// A short human reason, e.g. `matched allow rule llm-access (host api.openai.com, port 443)` or `no rule matched`.
    public var reason: String {
        get {
            switch context {
            case .text(let text): return text
            case .match(let match):
                guard let rule = match.rule else {
                    return match.note.map { "no rule matched (\($0))" } ?? "no rule matched"
                }
                return "matched \(rule.action.rawValue) rule \(rule.name) (\(match.detail))"
            }
        }
        set { context = .text(newValue) }
    }

    /// What matched, without the verdict and rule name: `host api.openai.com, port 443`;
    /// for no match, `no rule matched` with any normalisation note.
    public var detail: String {
        switch context {
        case .text(let text): text
        case .match(let match): match.rule == nil ? reason : match.detail
        }
    }

    /// The rule's position in its profile, when a rule decided.
    public var ruleLocation: SourceLocation? {
        if case .match(let match) = context { return match.rule?.rule.location }
        return nil
    }
}

extension Decision: Equatable {
    public static func == (lhs: Decision, rhs: Decision) -> Bool {
        lhs.verdict == rhs.verdict && lhs.rule == rhs.rule && lhs.reason == rhs.reason
    }
}

extension Decision: CustomStringConvertible {
    /// `allow (rule llm-access: matched host api.openai.com, port 443)` or `deny (no rule matched)`.
    public var description: String {
        guard let rule else { return "\(verdict.rawValue) (\(detail))" }
        return "\(verdict.rawValue) (rule \(rule): matched \(detail))"
    }
}
