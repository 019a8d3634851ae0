import CRiptides
import Glibc

/// Threads for calls that may block (a blocking connect in the filter tier,
/// a send on a blocking stream socket): each job gets a thread of its own at
/// once, so a silent destination holds up nobody (threat model item 7), and
/// threads are reused instead of created per call. An idle thread ends
/// after 30 s.
final class WorkerPool: @unchecked Sendable {
    // pthread primitives need stable addresses; all state below is guarded
    // by `mutex`.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wakeUp = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var queue: [@Sendable () -> Void] = []
    /// Threads waiting for work.
    private var idle = 0

    init() {
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(wakeUp, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    /// Runs `work` on a waiting thread when there are at least as many
    /// waiting threads as queued jobs, else on a new thread. False when a
    /// thread was needed and none could be made (`work` will not run).
    func submit(_ work: @escaping @Sendable () -> Void) -> Bool {
        pthread_mutex_lock(mutex)
        queue.append(work)
        if idle >= queue.count {
            pthread_cond_signal(wakeUp)
            pthread_mutex_unlock(mutex)
            return true
        }
        pthread_mutex_unlock(mutex)
        if Thread.detach({ [self] in self.workerLoop() }) { return true }
        pthread_mutex_lock(mutex)
        // Take back the newest job (ours, or one just like it: none has run).
        let taken = queue.popLast() != nil
        pthread_mutex_unlock(mutex)
        return !taken
    }

    private func workerLoop() {
        pthread_mutex_lock(mutex)
        while true {
            if !queue.isEmpty {
                let work = queue.removeFirst()
                pthread_mutex_unlock(mutex)
                work()
                pthread_mutex_lock(mutex)
                continue
            }
            idle += 1
            var deadline = timespec()
            clock_gettime(CLOCK_MONOTONIC, &deadline)
            deadline.tv_sec += 30
            var timedOut = false
            while queue.isEmpty && !timedOut {
                timedOut = pthread_cond_timedwait(wakeUp, mutex, &deadline) == ETIMEDOUT
            }
            idle -= 1
            if queue.isEmpty {
                pthread_mutex_unlock(mutex)
                return
            }
        }
    }
}
