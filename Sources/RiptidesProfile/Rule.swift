/// One validated rule of a profile.
public struct Rule: Hashable, Sendable {
    /// Unique within the profile; appears in decisions and the audit.
    public var name: String
    public var action: RuleAction
    /// The `to` list, never empty.
    public var destinations: [RuleDestination]
    /// The `ports` list; nil means any port (including port 0).
    public var ports: [PortRange]?
    /// The `protocol` key (`transport` because `protocol` is a Swift keyword).
    public var transport: RuleProtocol
    /// Where the rule starts in its file.
    public var location: SourceLocation

    public init(
        name: String, action: RuleAction = .allow, destinations: [RuleDestination], ports: [PortRange]? = nil,
        transport: RuleProtocol = .any, location: SourceLocation = SourceLocation(line: 0, column: 0)
    ) {
        self.name = name
        self.action = action
        self.destinations = destinations
        self.ports = ports
        self.transport = transport
        self.location = location
    }
}
