/// A SPIFFE ID, `spiffe://TRUST-DOMAIN[/PATH]`, validated as the SPIFFE ID
/// specification requires.
///
/// - The scheme is `spiffe`, in lower case, followed by `//`.
/// - The trust domain is 1 to 255 characters of lower-case letters, digits,
///   `.`, `-` and `_` (no user info, no port).
/// - The path is optional; each `/`-separated segment is non-empty, is not
///   `.` or `..`, and holds only letters, digits, `.`, `-` and `_`. No
///   trailing slash, query or fragment.
/// - The whole ID is at most 2048 bytes.
public struct SPIFFEID: Hashable, Sendable, CustomStringConvertible {
    /// The trust domain name, e.g. `acme.example`.
    public let trustDomain: String
    /// The path including its leading slash, e.g. `/agent/research`, or "" for the trust domain's own ID.
    public let path: String

    /// The URI text, e.g. `spiffe://acme.example/agent/research`.
    public var description: String { "spiffe://" + trustDomain + path }

    public init(parsing text: String) throws(SyntaxError) {
        let prefix = "spiffe://"
        guard text.utf8.count <= 2048 else {
            throw SyntaxError("SPIFFE ID is \(text.utf8.count) bytes long; the maximum is 2048")
        }
        guard text.hasPrefix(prefix) else {
            if text.lowercased().hasPrefix(prefix) {
                throw SyntaxError("SPIFFE ID '\(text)' must start with 'spiffe://' in lower case")
            }
            throw SyntaxError("'\(text)' is not a SPIFFE ID; expected spiffe://TRUST-DOMAIN/PATH, e.g. spiffe://acme.example/agent/research")
        }
        let rest = text.dropFirst(prefix.count)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let domain = rest[..<slash]
        let path = rest[slash...]
        guard !domain.isEmpty else {
            throw SyntaxError("SPIFFE ID '\(text)' has no trust domain; expected spiffe://TRUST-DOMAIN/PATH")
        }
        guard domain.utf8.count <= 255 else {
            throw SyntaxError("SPIFFE ID '\(text)' has a trust domain of \(domain.utf8.count) characters; the maximum is 255")
        }
        for character in domain.unicodeScalars where !Self.isTrustDomainCharacter(character) {
            let what: String = switch character {
            case ":": "a port"
            case "@": "user info"
            case "?": "a query"
            case "#": "a fragment"
            default: "'\(character)'"
            }
            throw SyntaxError(
                "SPIFFE ID '\(text)' has \(what) in its trust domain; a trust domain holds only lower-case letters, digits, '.', '-' and '_'")
        }
        if !path.isEmpty {
            let segments = path.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
            for (index, segment) in segments.enumerated() {
                if segment.isEmpty {
                    throw SyntaxError(index == segments.count - 1
                        ? "SPIFFE ID '\(text)' ends with '/'; remove the trailing slash"
                        : "SPIFFE ID '\(text)' has an empty path segment ('//')")
                }
                if segment == "." || segment == ".." {
                    throw SyntaxError("SPIFFE ID '\(text)' has a '\(segment)' path segment; paths may not contain dot segments")
                }
                for character in segment.unicodeScalars where !Self.isPathCharacter(character) {
                    let what: String = switch character {
                    case "?": "a query"
                    case "#": "a fragment"
                    case "%": "a percent-encoded character"
                    default: "'\(character)'"
                    }
                    throw SyntaxError(
                        "SPIFFE ID '\(text)' has \(what) in its path; path segments hold only letters, digits, '.', '-' and '_'")
                }
            }
        }
        self.trustDomain = String(domain)
        self.path = String(path)
    }

    private static func isTrustDomainCharacter(_ c: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(c) || ("0"..."9").contains(c) || c == "." || c == "-" || c == "_"
    }

    private static func isPathCharacter(_ c: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c) || c == "." || c == "-" || c == "_"
    }
}
