/// "Did you mean" hints for unknown keys.
enum KeySuggestion {
    /// Words people write for a key that has another name here.
    private static let synonyms: [String: String] = [
        "proto": "protocol", "transport": "protocol", "port": "ports",
        "hosts": "to", "host": "to", "destination": "to", "destinations": "to", "dest": "to", "targets": "to",
        "allow": "to", "id": "name", "spiffe": "identity", "spiffe_id": "identity", "effect": "action",
        "policy": "rules", "sha256": "exe_sha256", "user": "uid", "group": "gid",
    ]

    /// The known key closest to `key`: same spelling in another case, a
    /// synonym, at most two edits away (one for short keys), or sharing the
    /// start of a known key (`prot` for `protocol`, `enforcing` for `enforce`).
    static func suggestion(for key: String, among known: [String]) -> String? {
        let lowered = key.lowercased().replacingHyphens()
        if known.contains(lowered) { return lowered }
        if let synonym = synonyms[lowered], known.contains(synonym) { return synonym }
        let limit = lowered.count <= 4 ? 1 : 2
        let scored = known.map { ($0, editDistance(lowered, $0)) }.filter { $0.1 <= limit }
        if let closest = scored.min(by: { $0.1 < $1.1 }) { return closest.0 }
        // A shared start that covers all but at most one character of the shorter word.
        let shared = known.map { candidate in
            (candidate, zip(lowered, candidate).prefix { $0 == $1 }.count)
        }.filter { candidate, common in
            common >= 3 && common >= min(lowered.count, candidate.count) - 1
        }
        return shared.max { $0.1 < $1.1 }?.0
    }

    /// Levenshtein distance over characters.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        var previous = Array(0...b.count)
        var current = previous
        for i in 1...a.count {
            current[0] = i
            for j in stride(from: 1, through: b.count, by: 1) {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}

extension String {
    fileprivate func replacingHyphens() -> String {
        String(map { $0 == "-" ? "_" : $0 })
    }
}
