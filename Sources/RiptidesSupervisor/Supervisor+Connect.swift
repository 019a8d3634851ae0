import CRiptides
import Glibc
import RiptidesSystem

extension Supervisor {
    /// `connect(fd, addr, len)`: decided on the copied address, performed on
    /// the duplicate (a non-blocking socket answers EINPROGRESS as natively).
    func emulateConnect(_ job: Job, socket: borrowing FileDescriptor) -> Answer {
        let copy: AddressCopy
        switch AddressCopy.read(from: job.memory, at: job.args.1, length: job.args.2) {
        case .success(let c): copy = c
        case .failure(let e): return .error(e)
        }
        guard isValid(job.id) else { return .error(.noSuchProcess) }
        let interpreted = copy.withBytes { bytes in
            Destination.interpret(bytes, socket: job.identity, call: .connect, flags: 0) { ProcFS.workingDirectory(of: job.tid) }
        }
        let destination = routed(interpreted, job: job, socket: socket)
        if case .fail(let e) = decide(destination, job: job) { return .error(e) }
        if case .inet = destination, needsHostSocket(job, socket: socket) {
            return replaceAndConnect(job, agentSocket: socket, copy: copy, destination: destination)
        }
        if case .resolverProxy = destination, !job.onWorker {
            // A connect to the DNS proxy can wait (its backlog may be full, and
            // the agent may clear O_NONBLOCK meanwhile): finish it on a
            // worker, with the address already decided.
            return deferConnect(job, socket: socket, copy: copy, destination: destination)
        }
        let fd = socket.rawValue
        let performed = asAgent(job, for: destination) {
            copy.withKernelAddress(for: destination) { address, length in
                valueOrErrno(retryOnInterrupt: false) { Glibc.connect(fd, address, length) }
            }
        }
        if case .resolverProxy = destination { noteResolverClient(job, socket: fd) }
        switch performed {
        case .failure(let e), .success(.failure(let e)), .success(.success(.failure(let e))): return .error(e)
        case .success(.success(.success)): return .value(0)
        }
    }
}

extension Supervisor {
    /// Performs a connect decided on `copy` on a worker, which answers.
    func deferConnect(_ job: Job, socket: borrowing FileDescriptor, copy: AddressCopy, destination: Destination) -> Answer {
        let duplicate = rt_fcntl_int(socket.rawValue, F_DUPFD_CLOEXEC, 0)
        guard duplicate >= 0 else { return .error(.current) }
        let id = job.id
        let submitted = workers.submit { [self] in
            let performed = copy.withKernelAddress(for: destination) { address, length in
                valueOrErrno(retryOnInterrupt: false) { Glibc.connect(duplicate, address, length) }
            }
            if case .resolverProxy = destination { noteResolverClient(job, socket: duplicate) }
            close(duplicate)
            switch performed {
            case .failure(let e), .success(.failure(let e)): respond(id, error: e)
            case .success(.success): respond(id, value: 0)
            }
        }
        if submitted { return .deferred }
        close(duplicate)
        return .error(Errno(rawValue: EAGAIN))
    }
}
