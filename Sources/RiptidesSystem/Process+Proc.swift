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
}
