import CRiptides
import Glibc
import RiptidesSystem

/// The most payload one emulated send copies. A stream socket then reports
/// a short write, which callers loop on as they would natively; a datagram
/// that large could never be sent (the kernel would say EMSGSIZE).
let maximumPayload = 1 << 20
/// The most ancillary data one emulated send copies (the kernel's own
/// optmem limit is lower).
let maximumControl = 1 << 16
/// The kernel's limit on iovecs per message and messages per sendmmsg.
let maximumVectors = 1024

extension Supervisor {
    /// `sendto(fd, buf, len, flags, addr, addrlen)` with a non-NULL address
    /// (the filter lets address-less sends through without a round trip).
    func emulateSendTo(_ job: Job, socket: borrowing FileDescriptor) -> Result<Int64, Errno> {
        let copy: AddressCopy
        switch AddressCopy.read(from: job.memory, at: job.args.4, length: job.args.5) {
        case .success(let c): copy = c
        case .failure(let e): return .failure(e)
        }
        guard isValid(job.id) else { return .failure(.noSuchProcess) }
        let interpreted = copy.withBytes { bytes in
            Destination.interpret(bytes, socket: job.identity, call: .sendto, flags: job.flags) { ProcFS.workingDirectory(of: job.tid) }
        }
        let destination = routed(interpreted, job: job, socket: socket)
        if case .fail(let e) = decide(destination, job: job) { return .failure(e) }

        let requested = Int(truncatingIfNeeded: job.args.2)
        guard requested >= 0 else { return .failure(.fault) }
        if requested > maximumPayload && !job.identity.isStream { return .failure(.messageTooLong) }
        let length = min(requested, maximumPayload)
        let payload = UnsafeMutableRawBufferPointer.allocate(byteCount: max(length, 1), alignment: 8)
        defer { payload.deallocate() }
        let data = UnsafeMutableRawBufferPointer(rebasing: payload[0..<length])
        if case .failure(let e) = job.memory.read(from: job.args.1, into: data) { return .failure(e) }
        if job.identity.domain == AF_NETLINK && !NetlinkRequests.readOnly(UnsafeRawBufferPointer(data)) {
            return .failure(.permissionDenied)
        }
        guard isValid(job.id) else { return .failure(.noSuchProcess) }

        let replacement: CInt?
        switch hostSocketForSend(job, destination: destination, agentSocket: socket) {
        case .success(let r): replacement = r
        case .failure(let e): return .failure(e)
        }
        defer { if let replacement { closer.close(replacement) } }
        let fd = replacement ?? socket.rawValue, flags = job.sendFlags
        let performed = asAgent(job, for: destination) {
            copy.withKernelAddress(for: destination) { address, addressLength in
                valueOrErrno(retryOnInterrupt: false) { Glibc.sendto(fd, data.baseAddress, data.count, flags, address, addressLength) }
            }
        }
        if case .resolverProxy = destination { noteResolverClient(job, socket: fd) }
        switch performed {
        case .failure(let e), .success(.failure(let e)), .success(.success(.failure(let e))): return .failure(e)
        case .success(.success(.success(let n))): return .success(Int64(n))
        }
    }

    /// `sendmsg(fd, msg, flags)`: the header, name, data and ancillary data
    /// are copied once and the message is rebuilt from the copies.
    func emulateSendMsg(_ job: Job, pidfd: borrowing FileDescriptor, socket: borrowing FileDescriptor) -> Result<Int64, Errno> {
        let header: msghdr
        switch job.memory.read(msghdr.self, from: job.args.1) {
        case .success(let h): header = h
        case .failure(let e): return .failure(e)
        }
        var replacement: CInt?
        defer { if let replacement { closer.close(replacement) } }
        return sendOne(job, header: header, pidfd: pidfd, socket: socket, replacement: &replacement).map(Int64.init)
    }

    /// `sendmmsg(fd, msgvec, vlen, flags)`: each message is decided on its
    /// own; the call stops at the first failure and, like the kernel, reports
    /// how many went when at least one did, and the error otherwise. The
    /// `msg_len` of each sent message is written back.
    func emulateSendMMsg(_ job: Job, pidfd: borrowing FileDescriptor, socket: borrowing FileDescriptor) -> Result<Int64, Errno> {
        let count = min(Int(truncatingIfNeeded: UInt32(truncatingIfNeeded: job.args.2)), maximumVectors)
        let stride = MemoryLayout<rt_mmsghdr>.stride
        var sent = 0
        // In the netns tier the first datagram may replace the socket; the
        // rest go out on the replacement.
        var replacement: CInt?
        defer { if let replacement { closer.close(replacement) } }
        while sent < count {
            let entry = job.args.1 &+ UInt64(sent * stride)
            let header: msghdr
            switch job.memory.read(msghdr.self, from: entry) {
            case .success(let h): header = h
            case .failure(let e): return sent > 0 ? .success(Int64(sent)) : .failure(e)
            }
            switch sendOne(job, header: header, pidfd: pidfd, socket: socket, replacement: &replacement) {
            case .success(let n):
                var length = UInt32(truncatingIfNeeded: n)
                let offset = UInt64(MemoryLayout<rt_mmsghdr>.offset(of: \.msg_len)!)
                _ = withUnsafeBytes(of: &length) { job.memory.write($0, to: entry &+ offset) }
                sent += 1
            case .failure(let e):
                return sent > 0 ? .success(Int64(sent)) : .failure(e)
            }
        }
        return .success(Int64(sent))
    }

    /// Decides and sends one message described by the agent's `header`.
    /// `replacement` is the host socket installed for an earlier message of
    /// the same call (netns tier), or becomes the one installed for this one.
    private func sendOne(_ job: Job, header: msghdr, pidfd: borrowing FileDescriptor,
                         socket: borrowing FileDescriptor, replacement: inout CInt?) -> Result<Int, Errno> {
        let namePointer = UInt64(UInt(bitPattern: header.msg_name))
        var copy = AddressCopy()
        let destination: Destination
        if namePointer != 0 && header.msg_namelen > 0 {
            switch AddressCopy.read(from: job.memory, at: namePointer, length: UInt64(header.msg_namelen)) {
            case .success(let c): copy = c
            case .failure(let e): return .failure(e)
            }
            guard isValid(job.id) else { return .failure(.noSuchProcess) }
            let interpreted = copy.withBytes { bytes in
                Destination.interpret(bytes, socket: job.identity, call: job.call, flags: job.flags) { ProcFS.workingDirectory(of: job.tid) }
            }
            destination = routed(interpreted, job: job, socket: socket, replaced: replacement != nil)
        } else {
            destination = .connectedPeer
        }
        if case .fail(let e) = decide(destination, job: job) { return .failure(e) }

        // Data: every iovec gathered into one buffer.
        // msg_iovlen is the agent's: compare it unsigned, before any use.
        guard UInt(bitPattern: header.msg_iovlen) <= UInt(maximumVectors) else { return .failure(.messageTooLong) }
        let vectorCount = Int(header.msg_iovlen)
        var vectors = [iovec](repeating: iovec(), count: vectorCount)
        if vectorCount > 0 {
            let result = vectors.withUnsafeMutableBytes {
                job.memory.read(from: UInt64(UInt(bitPattern: header.msg_iov)), into: $0)
            }
            if case .failure(let e) = result { return .failure(e) }
        }
        // Lengths are the agent's too: a negative one is EINVAL (as the
        // kernel says), and the sum stops growing past the payload limit.
        var total = 0
        for v in vectors {
            guard v.iov_len >= 0 else { return .failure(.invalidArgument) }
            total = min(total + min(v.iov_len, maximumPayload + 1), maximumPayload + 1)
        }
        if total > maximumPayload && !job.identity.isStream { return .failure(.messageTooLong) }
        let length = min(total, maximumPayload)
        let payload = UnsafeMutableRawBufferPointer.allocate(byteCount: max(length, 1), alignment: 8)
        defer { payload.deallocate() }
        var filled = 0
        for v in vectors where filled < length {
            let take = min(v.iov_len, length - filled)
            let target = UnsafeMutableRawBufferPointer(rebasing: payload[filled..<(filled + take)])
            if case .failure(let e) = job.memory.read(from: UInt64(UInt(bitPattern: v.iov_base)), into: target) {
                return .failure(e)
            }
            filled += take
        }

        // Ancillary data: checked and rebuilt (descriptors translated).
        var control = ControlMessages()
        defer { control.closeDescriptors(with: closer) }
        if header.msg_control != nil && header.msg_controllen > 0 {
            guard header.msg_controllen <= maximumControl else { return .failure(.noBufferSpace) }
            if case .failure(let e) = control.copy(from: job.memory, at: UInt64(UInt(bitPattern: header.msg_control)),
                                                   length: Int(header.msg_controllen), socket: job.identity, pidfd: pidfd) {
                return .failure(e)
            }
        }

        if replacement == nil {
            switch hostSocketForSend(job, destination: destination, agentSocket: socket) {
            case .success(let r): replacement = r
            case .failure(let e): return .failure(e)
            }
        }
        if job.identity.domain == AF_NETLINK
            && !NetlinkRequests.readOnly(UnsafeRawBufferPointer(rebasing: payload[0..<length])) {
            return .failure(.permissionDenied)
        }
        // Every read of the agent's memory is done: check the caller is still
        // the thread that asked (its tid may have been reused), then act.
        guard isValid(job.id) else { return .failure(.noSuchProcess) }
        let fd = replacement ?? socket.rawValue, flags = job.sendFlags
        let hasName = namePointer != 0 && header.msg_namelen > 0
        var vector = iovec(iov_base: payload.baseAddress, iov_len: length)
        return control.withBuffer { controlPointer, controlLength in
            func send(_ name: UnsafePointer<sockaddr>?, _ nameLength: socklen_t) -> Result<Int, Errno> {
                var message = msghdr()
                message.msg_name = UnsafeMutableRawPointer(mutating: name)
                message.msg_namelen = nameLength
                return withUnsafeMutablePointer(to: &vector) { vectorPointer in
                    message.msg_iov = vectorPointer
                    message.msg_iovlen = 1
                    message.msg_control = controlPointer
                    message.msg_controllen = controlLength
                    return valueOrErrno(retryOnInterrupt: false) { Glibc.sendmsg(fd, &message, flags) }
                }
            }
            let performed = asAgent(job, for: destination) { () -> Result<Int, Errno> in
                guard hasName else { return send(nil, 0) }
                switch copy.withKernelAddress(for: destination, { send($0, $1) }) {
                case .failure(let e): return .failure(e)
                case .success(let r): return r
                }
            }
            if case .resolverProxy = destination { noteResolverClient(job, socket: fd) }
            switch performed {
            case .failure(let e): return .failure(e)
            case .success(let r): return r
            }
        }
    }
}

extension Errno {
    static let noBufferSpace = Errno(rawValue: ENOBUFS)
}
