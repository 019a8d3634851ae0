import CCap

/// Capability names to numbers, through libcap, checked against what the
/// running kernel knows (`cap_max_bits`).
public enum Capabilities {
    public struct UnknownCapability: Error, CustomStringConvertible {
        public var name: String
        public var description: String { "capability \(name) is not known to this kernel" }
    }

    public static func numbers(for names: [String]) throws(UnknownCapability) -> Set<Int> {
        var result = Set<Int>()
        let limit = Int(cap_max_bits())
        for name in names {
            var value = cap_value_t(0)
            guard cap_from_name(name, &value) == 0, Int(value) < limit else { throw UnknownCapability(name: name) }
            result.insert(Int(value))
        }
        return result
    }
}
