/// The keys a profile may use, in the order the documentation lists them.
public enum ProfileKeys {
    public static let topLevel = ["identity", "mode", "rules", "workload", "capabilities"]
    public static let rule = ["name", "to", "ports", "protocol", "action"]
    public static let workload = ["exe", "exe_sha256", "script", "script_sha256", "uid", "gid"]
}
