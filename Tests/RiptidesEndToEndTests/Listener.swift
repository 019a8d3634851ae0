import Foundation
import Glibc
import Synchronization

/// A real listener on loopback that records everything that reaches it:
/// the proof that a denied call sent nothing.
final class Listener: Sendable {
    enum Kind { case tcp, udp }

    let port: UInt16
    let host: String
    private let fd: CInt
    private let record = Arrivals()

    /// Binds `host` (an IPv4 or IPv6 literal) on a free port and starts
    /// recording on a thread of its own.
    init(_ kind: Kind, host: String = "127.0.0.1") throws {
        self.host = host
        let v6 = host.contains(":")
        let family = v6 ? AF_INET6 : AF_INET
        let type = kind == .tcp ? CInt(SOCK_STREAM.rawValue) : CInt(SOCK_DGRAM.rawValue)
        let fd = socket(family, type | CInt(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket: \(errno)") }
        var one: CInt = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<CInt>.size))
        var storage = sockaddr_storage()
        var length: socklen_t
        if v6 {
            var a = sockaddr_in6()
            a.sin6_family = sa_family_t(AF_INET6)
            inet_pton(AF_INET6, host, &a.sin6_addr)
            withUnsafeBytes(of: a) { src in withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: src) } }
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
        } else {
            var a = sockaddr_in()
            a.sin_family = sa_family_t(AF_INET)
            inet_pton(AF_INET, host, &a.sin_addr)
            withUnsafeBytes(of: a) { src in withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: src) } }
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
        }
        let bound = withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0 else { throw HarnessError("bind \(host): \(String(cString: strerror(errno)))") }
        if kind == .tcp { listen(fd, 128) }
        var actual = sockaddr_storage()
        var actualLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
        withUnsafeMutablePointer(to: &actual) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(fd, $0, &actualLength) } }
        self.fd = fd
        port = withUnsafeBytes(of: actual) { UInt16(bigEndian: $0.loadUnaligned(fromByteOffset: 2, as: UInt16.self)) }
        Thread.detachNewThread { [self] in
            if kind == .tcp { self.acceptLoop(fd) } else { self.receiveLoop(fd) }
        }
    }

    private func acceptLoop(_ fd: CInt) {
        while !record.stopped.load(ordering: .relaxed) {
            let client = accept(fd, nil, nil)
            if client < 0 { if record.stopped.load(ordering: .relaxed) { return }; continue }
            record.connection(client)
        }
    }

    private func receiveLoop(_ fd: CInt) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !record.stopped.load(ordering: .relaxed) {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n < 0 { if record.stopped.load(ordering: .relaxed) { return }; continue }
            record.datagram(buffer[0..<n])
        }
    }

    /// What arrived so far, after giving in-flight data `settle` seconds.
    func messages(settle: Double = 0.2) -> [String] { record.messages(settle: settle) }

    /// Connections accepted (TCP) or datagrams received (UDP).
    var arrivals: Int { record.count }

    deinit {
        record.stopped.store(true, ordering: .relaxed)
        shutdown(fd, CInt(SHUT_RDWR))
        close(fd)
    }
}

/// A TCP listener on 127.0.0.1 that accepts and never reads, with a small
/// receive buffer: a peer whose data stays unsent on the sender's side.
final class Sink: Sendable {
    let port: UInt16
    private let fd: CInt
    private let held = Mutex<[CInt]>([])
    private let stopped = Atomic<Bool>(false)

    init() throws {
        let fd = socket(AF_INET, CInt(SOCK_STREAM.rawValue) | CInt(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket: \(errno)") }
        var small: CInt = 4096
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<CInt>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7f000001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0, listen(fd, 4096) == 0 else { throw HarnessError("sink: \(errno)") }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        port = UInt16(bigEndian: address.sin_port)
        self.fd = fd
        Thread.detachNewThread { [self] in
            while !stopped.load(ordering: .relaxed) {
                let client = accept(fd, nil, nil)
                if client < 0 { if stopped.load(ordering: .relaxed) { return }; continue }
                held.withLock { $0.append(client) }
            }
        }
    }

    deinit {
        stopped.store(true, ordering: .relaxed)
        shutdown(fd, CInt(SHUT_RDWR))
        close(fd)
        held.withLock { $0.forEach { close($0) } }
    }
}

/// What reached a listener (inet or unix): each connection's bytes up to
/// its end, or each datagram; and whether the listener is stopping.
final class Arrivals: Sendable {
    private let received = Mutex<[String]>([])
    private let total = Atomic<Int>(0)
    let stopped = Atomic<Bool>(false)

    /// Reads `client` to its end on a thread of its own, then records it.
    func connection(_ client: CInt) {
        total.add(1, ordering: .relaxed)
        Thread.detachNewThread { [self] in
            var data = Data()
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = read(client, &buffer, buffer.count)
                if n <= 0 { break }
                data.append(contentsOf: buffer[0..<n])
            }
            close(client)
            self.received.withLock { $0.append(String(decoding: data, as: UTF8.self)) }
        }
    }

    func datagram(_ bytes: ArraySlice<UInt8>) {
        total.add(1, ordering: .relaxed)
        received.withLock { $0.append(String(decoding: bytes, as: UTF8.self)) }
    }

    /// What arrived so far, after giving in-flight data `settle` seconds.
    func messages(settle: Double) -> [String] {
        usleep(useconds_t(settle * 1_000_000))
        return received.withLock { $0 }
    }

    var count: Int { total.load(ordering: .relaxed) }
}
