/// No profile of the given name exists where profiles are looked up.
public struct ProfileLocatorError: Error, Sendable, CustomStringConvertible {
    public var name: String
    /// The files tried, in order.
    public var searched: [String]

    public var description: String {
        if searched.isEmpty { return "'\(name)' is not a profile name or path" }
        return "no profile named '\(name)'; looked for \(searched.joined(separator: ", "))"
    }
}
