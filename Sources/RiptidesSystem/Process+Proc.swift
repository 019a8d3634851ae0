import CRiptides
import Glibc

/// Facts about a process read from `/proc`.
public enum ProcFS {
    /// The executable of thread `tid`, from `/proc/TID/exe`; nil when unreadable.
    public static func executable(of tid: Int32) -> String? { link("/proc/\(tid)/exe") }

    /// The working directory of thread `tid` (for its relative unix paths).
    public static func workingDirectory(of tid: Int32) -> String? { link("/proc/\(tid)/cwd") }

    private static func link(_ path: String) -> String? {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: Int(PATH_MAX) + 1) { buffer in
            let n = readlink(path, buffer.baseAddress!, buffer.count - 1)
            guard n > 0 else { return nil }
            return String(decoding: UnsafeRawBufferPointer(start: buffer.baseAddress, count: n), as: UTF8.self)
        }
    }

    private static let tgidKey: [UInt8] = Array("\nTgid:".utf8)

    /// The process (thread group) that thread `tid` belongs to, from the
    /// `Tgid:` line near the top of `/proc/TID/status`; nil when unreadable.
    /// Scans bytes, without building strings: it runs for every decision.
    public static func processID(ofThread tid: Int32) -> Int32? {
        // A process pidfd opens only for a thread-group leader: then tid is
        // the pid, with no file to read (the common case).
        let leader = rt_pidfd_open(tid, 0)
        if leader >= 0 {
            close(leader)
            return tid
        }
        let fd = open("/proc/\(tid)/status", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 256) { buffer -> Int32? in
            let n = read(fd, buffer.baseAddress, buffer.count)
            guard n > 6 else { return nil }
            let bytes = UnsafeBufferPointer(rebasing: buffer[0..<n])
            let key = tgidKey
            var i = 0
            while i + key.count <= bytes.count {
                if bytes[i] == key[0] && bytes[i..<(i + key.count)].elementsEqual(key) {
                    var j = i + key.count, value: Int32 = 0, digits = 0
                    while j < bytes.count && (bytes[j] == 0x20 || bytes[j] == 0x09) { j += 1 }
                    while j < bytes.count, bytes[j] >= 0x30, bytes[j] <= 0x39, digits < 10 {
                        value = value &* 10 &+ Int32(bytes[j] - 0x30)
                        j += 1
                        digits += 1
                    }
                    return digits > 0 ? value : nil
                }
                i += 1
            }
            return nil
        }
    }
}
