import Glibc

/// Facts about a process read from `/proc`.
public enum ProcFS {
    /// The executable of thread `tid`, from `/proc/TID/exe`; nil when unreadable.
    public static func executable(of tid: Int32) -> String? {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: Int(PATH_MAX) + 1) { buffer in
            let n = readlink("/proc/\(tid)/exe", buffer.baseAddress!, buffer.count - 1)
            guard n > 0 else { return nil }
            return String(decoding: UnsafeRawBufferPointer(start: buffer.baseAddress, count: n), as: UTF8.self)
        }
    }

    /// The process (thread group) that thread `tid` belongs to, from the
    /// `Tgid:` line near the top of `/proc/TID/status`; nil when unreadable.
    public static func processID(ofThread tid: Int32) -> Int32? {
        let fd = open("/proc/\(tid)/status", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 512) { buffer -> Int32? in
            let n = read(fd, buffer.baseAddress, buffer.count)
            guard n > 0 else { return nil }
            let text = String(decoding: UnsafeBufferPointer(rebasing: buffer[0..<n]), as: UTF8.self)
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("Tgid:") }) else { return nil }
            return Int32(line.dropFirst(5).filter { $0 != " " && $0 != "\t" })
        }
    }
}
