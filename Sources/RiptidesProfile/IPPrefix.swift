/// A CIDR block such as `10.0.0.0/8` or `2001:db8::/32`; a bare address is a
/// prefix of full length.
public struct IPPrefix: Hashable, Sendable {
    /// The first address of the block (its host bits are zero).
    public let address: IPAddress
    /// The number of leading bits that every address in the block shares.
    public let length: Int

    /// A prefix from an address whose host bits are zero; nil when they are not
    /// or when `length` is out of range for the family.
    public init?(address: IPAddress, length: Int) {
        guard length >= 0, length <= address.bitWidth else { return nil }
        guard Self.masked(address, length) == address else { return nil }
        self.address = address
        self.length = length
    }

    /// Parses `ADDRESS` or `ADDRESS/LENGTH`, rejecting blocks with host bits
    /// set (`10.0.0.1/8`), which are usually typos.
    public init(parsing text: String) throws(SyntaxError) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(String(parts[0])) else {
            throw SyntaxError(parts.count == 2
                ? "'\(parts[0])' in '\(text)' is not an IP address"
                : "'\(text)' is not an IP address")
        }
        guard parts.count == 2 else {
            self.address = address
            self.length = address.bitWidth
            return
        }
        let lengthText = parts[1]
        guard !lengthText.isEmpty, lengthText.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              lengthText.count <= 3, lengthText == "0" || !lengthText.hasPrefix("0"),
              let length = Int(lengthText), length <= address.bitWidth
        else {
            throw SyntaxError("'\(text)' has an invalid prefix length '\(lengthText)'; expected 0 to \(address.bitWidth)")
        }
        let network = Self.masked(address, length)
        guard network == address else {
            throw SyntaxError("'\(text)' has bits set after the first \(length); did you mean \(network)/\(length)?")
        }
        self.address = address
        self.length = length
    }

    /// The last address of the block.
    public var lastAddress: IPAddress {
        let (high, low) = Self.hostMask(address.bitWidth, length)
        return address.family == .v4
            ? .v4(UInt32(truncatingIfNeeded: address.low | low))
            : .v6(high: address.high | high, low: address.low | low)
    }

    /// True when `candidate` is of the same family and inside the block.
    public func contains(_ candidate: IPAddress) -> Bool {
        candidate.family == address.family && Self.masked(candidate, length) == address
    }

    /// The IPv4 block that an IPv4-mapped IPv6 block (`::ffff:0:0/96` or longer) stands for, else nil.
    public var unmappedIPv4: IPPrefix? {
        guard address.family == .v6, length >= 96, let v4 = address.unmappedIPv4 else { return nil }
        return IPPrefix(address: v4, length: length - 96)
    }

    /// `address` with every bit after the first `length` cleared.
    static func masked(_ address: IPAddress, _ length: Int) -> IPAddress {
        let (high, low) = hostMask(address.bitWidth, length)
        return address.family == .v4
            ? .v4(UInt32(truncatingIfNeeded: address.low & ~low))
            : .v6(high: address.high & ~high, low: address.low & ~low)
    }

    /// The host bits of a prefix of `length` in a `width`-bit address, as (high, low) halves.
    static func hostMask(_ width: Int, _ length: Int) -> (UInt64, UInt64) {
        let hostBits = width - length
        let low: UInt64 = hostBits >= 64 ? .max : (UInt64(1) << UInt64(hostBits)) &- 1
        let high: UInt64 = hostBits <= 64 ? 0 : (hostBits >= 128 ? .max : (UInt64(1) << UInt64(hostBits - 64)) &- 1)
        return (high, low)
    }
}

extension IPPrefix: CustomStringConvertible {
    /// `ADDRESS/LENGTH`, or only the address for a single-address block.
    public var description: String {
        length == address.bitWidth ? address.description : "\(address)/\(length)"
    }
}
