import Glibc

/// The user an agent runs as (`--user NAME|UID[:GID]`), resolved before the
/// fork: the child may not read /etc/passwd.
public struct UserSpec: Sendable, Equatable {
    public var name: String
    public var uid: UInt32
    public var gid: UInt32
    public var groups: [UInt32]

    public init(name: String, uid: UInt32, gid: UInt32, groups: [UInt32]) {
        self.name = name
        self.uid = uid
        self.gid = gid
        self.groups = groups
    }

    /// Resolves `NAME`, `UID`, `NAME:GID` or `UID:GID` through the user database.
    public static func resolve(_ text: String) throws(UserSpecError) -> UserSpec {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let who = parts[0]
        guard !who.isEmpty else { throw UserSpecError("--user \(text): expected NAME, UID, NAME:GID or UID:GID") }
        var explicitGID: UInt32?
        if parts.count == 2 {
            guard let gid = UInt32(parts[1]) ?? groupID(named: parts[1]) else {
                throw UserSpecError("--user \(text): no group \(parts[1])")
            }
            explicitGID = gid
        }
        if let entry = getpwnam(who) ?? (UInt32(who).flatMap { getpwuid($0) }) {
            let name = String(cString: entry.pointee.pw_name)
            let gid = explicitGID ?? entry.pointee.pw_gid
            var count: CInt = 64
            var groups = [gid_t](repeating: 0, count: Int(count))
            if getgrouplist(name, gid, &groups, &count) < 0 {
                groups = [gid_t](repeating: 0, count: Int(count))
                _ = getgrouplist(name, gid, &groups, &count)
            }
            return UserSpec(name: name, uid: entry.pointee.pw_uid, gid: gid, groups: Array(groups.prefix(Int(count))))
        }
        guard let uid = UInt32(who) else { throw UserSpecError("--user \(text): no user \(who)") }
        // A numeric uid with no passwd entry: its own group unless one is given.
        let gid = explicitGID ?? uid
        return UserSpec(name: who, uid: uid, gid: gid, groups: [gid])
    }

    static func groupID(named name: String) -> UInt32? {
        getgrnam(name).map { $0.pointee.gr_gid }
    }
}

public struct UserSpecError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
