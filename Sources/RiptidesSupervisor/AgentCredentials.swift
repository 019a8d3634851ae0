import CRiptides
import Glibc
import RiptidesSystem

/// The credentials of an agent thread, read from `/proc/TID/status`, so that
/// a unix-socket call riptides makes for it is checked against the agent's
/// uid, gid and groups rather than riptides's (threat model items 3 and 14:
/// no confused deputy for local services).
struct AgentCredentials: Equatable {
    var uid: UInt32
    var gid: UInt32
    var groups: [UInt32]

    static func of(thread tid: Int32) -> AgentCredentials? {
        let fd = open("/proc/\(tid)/status", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        // Read to the end: a long Groups: line must not be cut short (a cut
        // gid would be another group).
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fd, &chunk, chunk.count)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            bytes += chunk[0..<n]
        }
        guard !bytes.isEmpty else { return nil }
        var uid: UInt32?, gid: UInt32?, groups: [UInt32] = []
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == "\t" || $0 == " " })
            guard let key = fields.first else { continue }
            // Uid:/Gid: are real, effective, saved, filesystem: the effective
            // one decides access and is what a server sees.
            switch key {
            case "Uid:" where fields.count >= 3: uid = UInt32(fields[2])
            case "Gid:" where fields.count >= 3: gid = UInt32(fields[2])
            case "Groups:": groups = fields.dropFirst().compactMap { UInt32($0) }
            default: break
            }
        }
        guard let uid, let gid else { return nil }
        return AgentCredentials(uid: uid, gid: gid, groups: groups)
    }

    /// Runs `body` with this thread's credentials set to the agent's, then
    /// switches back to root. Only for threads of their own (the change is
    /// per thread), and only when riptides is root. If switching back fails
    /// the thread must not run anything else: it ends with `body`'s work.
    func assume<R>(_ body: () -> R) -> Result<R, Errno> {
        let set = groups.withUnsafeBufferPointer { rt_thread_set_credentials(uid, gid, $0.baseAddress, $0.count) }
        guard set == 0 else { return .failure(Errno(rawValue: errno)) }
        let result = body()
        // Back to root. Should it fail, the thread stays the agent, which is
        // harmless: all it has left to do is answer, and then it ends.
        _ = rt_thread_set_credentials(0, 0, nil, 0)
        return .success(result)
    }
}
