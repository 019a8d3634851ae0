/// The transport of a connection attempt.
public enum TransportProtocol: String, Sendable, Hashable, CaseIterable {
    case tcp, udp
}
