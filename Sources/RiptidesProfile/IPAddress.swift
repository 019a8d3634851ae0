/// An IPv4 or IPv6 address, stored as a 128-bit value in host byte order.
///
/// IPv4 addresses keep their own family: `IPAddress("::ffff:10.0.0.1")` is an
/// IPv6 address (use ``unmappedIPv4`` to see the IPv4 address it carries).
/// Addresses order IPv4 before IPv6, then by numeric value.
public struct IPAddress: Hashable, Sendable {
    /// The address family.
    public enum Family: Sendable, Hashable {
        case v4, v6
    }

    /// The address family.
    public let family: Family
    /// The upper 64 bits of an IPv6 address; zero for IPv4.
    let high: UInt64
    /// The lower 64 bits of an IPv6 address, or the IPv4 address in its low 32 bits.
    let low: UInt64

    private init(family: Family, high: UInt64, low: UInt64) {
        self.family = family
        self.high = high
        self.low = low
    }

    /// An IPv4 address from its value in host byte order (`0x7F00_0001` is 127.0.0.1).
    public static func v4(_ value: UInt32) -> IPAddress {
        IPAddress(family: .v4, high: 0, low: UInt64(value))
    }

    /// An IPv6 address from its two 64-bit halves in host byte order.
    public static func v6(high: UInt64, low: UInt64) -> IPAddress {
        IPAddress(family: .v6, high: high, low: low)
    }

    /// The IPv4 value in host byte order, or nil for an IPv6 address.
    public var ipv4Value: UInt32? {
        family == .v4 ? UInt32(truncatingIfNeeded: low) : nil
    }

    /// The two 64-bit halves of an IPv6 address, or nil for an IPv4 address.
    public var ipv6Value: (high: UInt64, low: UInt64)? {
        family == .v6 ? (high, low) : nil
    }

    /// The address in network byte order: 4 bytes for IPv4, 16 for IPv6.
    public var networkBytes: [UInt8] {
        if family == .v4 { return (0..<4).map { UInt8(truncatingIfNeeded: low >> (24 - 8 * $0)) } }
        return (0..<8).map { UInt8(truncatingIfNeeded: high >> (56 - 8 * $0)) }
            + (0..<8).map { UInt8(truncatingIfNeeded: low >> (56 - 8 * $0)) }
    }

    /// The number of bits in an address of this family: 32 or 128.
    public var bitWidth: Int {
        family == .v4 ? 32 : 128
    }

    /// The IPv4 address carried by an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`), else nil.
    public var unmappedIPv4: IPAddress? {
        guard family == .v6, high == 0, low >> 32 == 0xFFFF else { return nil }
        return .v4(UInt32(truncatingIfNeeded: low))
    }

    /// True for the unspecified address, `0.0.0.0` or `::`.
    public var isUnspecified: Bool {
        high == 0 && low == 0
    }
}

extension IPAddress: Comparable {
    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        if lhs.family != rhs.family { return lhs.family == .v4 }
        return (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }
}
