import Glibc

/// Integer socket options. The corresponding C function is `getsockopt`.
public enum SocketOption {
    public static func integer(_ fd: CInt, level: CInt, name: CInt) -> Result<CInt, Errno> {
        var value: CInt = 0
        var length = socklen_t(MemoryLayout<CInt>.size)
        let rc = getsockopt(fd, level, name, &value, &length)
        return rc == 0 ? .success(value) : .failure(.current)
    }
}
