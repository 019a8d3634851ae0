/// The `workload` section: what the launched program must be for the profile
/// to apply. Every selector given must hold; enforcement is the launcher's.
public struct WorkloadSelector: Hashable, Sendable {
    /// Absolute path of the executable the command resolves to.
    public var exe: String?
    /// SHA-256 of `exe`, 64 lower-case hex digits.
    public var exeSHA256: String?
    /// For an interpreter: the script it is given (as written, may be relative).
    public var script: String?
    /// SHA-256 of `script`, 64 lower-case hex digits.
    public var scriptSHA256: String?
    public var uid: UInt32?
    public var gid: UInt32?

    public init(
        exe: String? = nil, exeSHA256: String? = nil, script: String? = nil, scriptSHA256: String? = nil,
        uid: UInt32? = nil, gid: UInt32? = nil
    ) {
        self.exe = exe
        self.exeSHA256 = exeSHA256
        self.script = script
        self.scriptSHA256 = scriptSHA256
        self.uid = uid
        self.gid = gid
    }
}
