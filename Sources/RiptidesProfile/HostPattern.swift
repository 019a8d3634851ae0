/// A host name in a rule: an exact name (`api.openai.com`) or a wildcard
/// (`*.anthropic.com`) that matches every name strictly below its apex.
///
/// Names are ASCII (internationalised names are written in punycode,
/// `xn--...`), compared case-insensitively, and a trailing dot is ignored:
/// the stored ``name`` is lower case without the dot.
public struct HostPattern: Hashable, Sendable, CustomStringConvertible {
    /// The name in lower case without a trailing dot; for a wildcard, the apex (`anthropic.com`).
    public let name: String
    /// True for `*.apex`.
    public let isWildcard: Bool

    /// `*.apex` for a wildcard, else the name.
    public var description: String { isWildcard ? "*." + name : name }

    /// Validates a host name or wildcard: labels of 1 to 63 letters, digits and
    /// hyphens (not at either end), at most 253 characters, and `*` only as
    /// the whole leftmost label.
    public init(parsing text: String) throws(SyntaxError) {
        var body = Substring(text)
        if body.hasSuffix(".") { body = body.dropLast() }
        if let scalar = body.unicodeScalars.first(where: { !$0.isASCII }) {
            throw SyntaxError(
                "host name '\(text)' contains the non-ASCII character '\(scalar)'; write internationalised names in punycode (xn--...)")
        }
        guard !body.isEmpty else { throw SyntaxError("empty host name") }
        var wildcard = false
        if body == "*" {
            throw SyntaxError("'*' alone would match every host name; name the hosts, or use 0.0.0.0/0 and ::/0 to mean every address")
        }
        if body.hasPrefix("*.") {
            wildcard = true
            body = body.dropFirst(2)
        }
        if body.contains("*") {
            throw SyntaxError("wildcard in '\(text)' is not the whole leftmost label; only '*.' followed by a name is allowed, e.g. *.example.com")
        }
        let lowered = Self.asciiLowercased(body)
        guard lowered.utf8.count <= 253 else {
            throw SyntaxError("host name '\(text)' is \(lowered.utf8.count) characters long; the maximum is 253")
        }
        let labels = lowered.split(separator: ".", omittingEmptySubsequences: false)
        for label in labels {
            guard !label.isEmpty else {
                throw SyntaxError("host name '\(text)' has an empty label ('..' or a leading dot)")
            }
            guard label.utf8.count <= 63 else {
                throw SyntaxError("host name '\(text)' has a label of \(label.utf8.count) characters; the maximum is 63")
            }
            if let bad = label.unicodeScalars.first(where: { !(("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-") }) {
                throw SyntaxError("host name '\(text)' contains '\(bad)'; host names hold only letters, digits, '-' and '.'")
            }
            guard !label.hasPrefix("-"), !label.hasSuffix("-") else {
                throw SyntaxError("host name '\(text)' has a label that starts or ends with '-'")
            }
        }
        if let last = labels.last, last.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            throw SyntaxError("'\(text)' is neither an IP address (expected a.b.c.d, each 0-255 without leading zeros) nor a host name (the last label is numeric)")
        }
        self.name = lowered
        self.isWildcard = wildcard
    }

    /// True when `host` (already in lower case without a trailing dot) is matched by this pattern.
    public func matches(normalized host: String) -> Bool {
        guard isWildcard else { return host == name }
        return host.utf8.count > name.utf8.count + 1 && host.hasSuffix("." + name)
    }

    /// A host name as the patterns compare it: ASCII letters in lower case
    /// (other characters untouched, so a non-ASCII name never equals an ASCII
    /// one), without a trailing dot.
    public static func normalize(_ host: String) -> String {
        var host = Substring(host)
        if host.hasSuffix(".") { host = host.dropLast() }
        return asciiLowercased(host)
    }

    static func asciiLowercased(_ text: Substring) -> String {
        var bytes = Array(text.utf8)
        for i in bytes.indices where bytes[i] >= UInt8(ascii: "A") && bytes[i] <= UInt8(ascii: "Z") {
            bytes[i] += 32
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
