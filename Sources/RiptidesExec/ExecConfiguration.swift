public import RiptidesAudit
public import RiptidesLaunch
public import RiptidesPolicy
public import RiptidesProfile

/// Which walls surround the agent.
public enum Isolation: String, Sendable, CaseIterable {
    /// Its own network namespace with only loopback, on top of the filter.
    case netns
    /// The seccomp filter and supervisor alone.
    case filter
}

/// Everything `riptides exec` needs, already parsed and validated.
public struct ExecConfiguration: Sendable {
    public var command: [String]
    public var policy: EgressPolicy
    /// The profile file, nil when none was given (default deny).
    public var profilePath: String?
    public var mode: ProfileMode
    public var audit: AuditSink.Destination
    public var quiet: Bool
    public var environment: [String: String]
    /// One-line notices for stderr, printed once the command is known to exist.
    public var notices: [String] = []
    /// Run the agent as this user (riptides must be root).
    public var user: UserSpec?
    /// The profile's `workload:` selectors, verified before anything runs.
    public var workload: WorkloadSelector?
    /// Capabilities the agent keeps when riptides runs as root (the profile's
    /// `capabilities:`); every other one is dropped.
    public var keptCapabilities: [String] = []
    /// The profile's warnings about kept capabilities that undo the filter:
    /// printed when the agent does get them (as root, or in the user
    /// namespace of the netns tier).
    public var capabilityWarnings: [String] = []
    /// The tier asked for; nil picks netns where the kernel allows it.
    public var isolation: Isolation?

    public init(command: [String], policy: EgressPolicy, profilePath: String?, mode: ProfileMode,
                audit: AuditSink.Destination, quiet: Bool, environment: [String: String]) {
        self.command = command
        self.policy = policy
        self.profilePath = profilePath
        self.mode = mode
        self.audit = audit
        self.quiet = quiet
        self.environment = environment
    }
}
