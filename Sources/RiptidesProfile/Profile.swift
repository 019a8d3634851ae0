/// A validated egress profile. Only ``ProfileLoader`` makes one from a file,
/// and only when the file has no error.
public struct Profile: Sendable {
    /// The file it came from (as given to the loader).
    public var path: String
    /// The SPIFFE ID the profile is bound to.
    public var identity: SPIFFEID
    public var mode: ProfileMode
    /// In file order.
    public var rules: [Rule]
    public var workload: WorkloadSelector?
    /// Capabilities the agent keeps when riptides runs as root (every other
    /// one is dropped), as lower-case names such as `cap_net_bind_service`.
    public var keptCapabilities: [String]
    /// What is valid but weakens what riptides can guarantee (a kept
    /// capability that lets the agent undo the filter), in file order.
    public var warnings: [Diagnostic]

    public init(path: String, identity: SPIFFEID, mode: ProfileMode = .enforce, rules: [Rule],
                workload: WorkloadSelector? = nil, keptCapabilities: [String] = [], warnings: [Diagnostic] = []) {
        self.path = path
        self.identity = identity
        self.mode = mode
        self.rules = rules
        self.workload = workload
        self.keptCapabilities = keptCapabilities
        self.warnings = warnings
    }
}
