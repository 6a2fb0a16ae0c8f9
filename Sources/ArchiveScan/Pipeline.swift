import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One reader, N workers, output in input order.
///
/// The reader (`produce`, on its own thread) hands out items numbered 0, 1, 2, …; `jobs`
/// worker threads run `work` on them; the calling thread receives the results strictly in
/// item order through `consume`. At most `window` items are in flight (read and not yet
/// consumed), so memory is bounded by `window` messages whatever the archive's size, and a
/// slow item only holds the output back, never the memory. With `jobs == 1` everything runs
/// on the calling thread: the single-core figure is the work alone.
public struct OrderedPipeline<Input: Sendable, Output: Sendable> {
    public var jobs: Int
    /// Items in flight. Default `8 × jobs`: enough to keep every worker busy while one slow
    /// message holds back the output, small enough that memory stays a few messages per core.
    public var window: Int

    public init(jobs: Int, window: Int? = nil) {
        self.jobs = max(1, jobs)
        self.window = max(self.jobs, window ?? 8 * max(1, jobs))
    }

    /// Shared state under one mutex, with one condition per kind of waiter, so that a change
    /// wakes only the thread that can act on it (one condition for everyone woke the reader,
    /// the workers and the writer at every step: a tenth of `--jobs 2`'s CPU went to the
    /// kernel's wake-ups and context switches).
    final class State: @unchecked Sendable {
        let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        /// The reader waits here for room in the window.
        let notFull = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
        /// Workers wait here for an item.
        let notEmpty = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
        /// The writer waits here for the next result in order (or the end).
        let resultReady = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
        /// The caller waits here for every thread to finish.
        let finished = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
        var queue: [(Int, Input)] = []
        var queueHead = 0
        var results: [Int: Output] = [:]
        var produced = 0  // items handed out by the reader
        var consumed = 0  // items given to `consume`
        var readerDone = false
        var cancelled = false
        var running = 0  // worker threads not yet finished

        init() {
            pthread_mutex_init(mutex, nil)
            for c in [notFull, notEmpty, resultReady, finished] { pthread_cond_init(c, nil) }
        }
        deinit {
            for c in [notFull, notEmpty, resultReady, finished] {
                pthread_cond_destroy(c)
                c.deallocate()
            }
            pthread_mutex_destroy(mutex)
            mutex.deallocate()
        }
        func lock() { pthread_mutex_lock(mutex) }
        func unlock() { pthread_mutex_unlock(mutex) }
        func wait(_ c: UnsafeMutablePointer<pthread_cond_t>) { pthread_cond_wait(c, mutex) }
    }

    /// Runs the pipeline. `produce` calls `emit` for every item in order and returns when the
    /// input ends; `emit` returns false when the scan was stopped (stop producing then).
    public func run(
        produce: @escaping @Sendable (_ emit: @escaping (Input) -> Bool) -> Void,
        work: @escaping @Sendable (Input) -> Output,
        consume: (Output) -> Bool
    ) {
        if jobs == 1 {
            // One core: read, work and consume on this thread.
            var stop = false
            withoutActuallyEscaping(consume) { consume in
                let box = UncheckedBox(consume)
                produce { item in
                    if stop { return false }
                    if !box.value(work(item)) {
                        stop = true
                        return false
                    }
                    return true
                }
            }
            return
        }
        let s = State()
        let window = self.window
        let reader = Thread {
            produce { item in
                s.lock()
                defer { s.unlock() }
                while !s.cancelled && s.produced - s.consumed >= window { s.wait(s.notFull) }
                if s.cancelled { return false }
                s.queue.append((s.produced, item))
                s.produced += 1
                pthread_cond_signal(s.notEmpty)
                return true
            }
            s.lock()
            s.readerDone = true
            pthread_cond_broadcast(s.notEmpty)  // idle workers end
            pthread_cond_signal(s.resultReady)  // the writer may be waiting for the end
            pthread_cond_broadcast(s.finished)
            s.unlock()
        }
        reader.stackSize = 8 << 20
        s.running = jobs
        reader.start()
        for _ in 0..<jobs {
            let t = Thread {
                while true {
                    s.lock()
                    while s.queueHead == s.queue.count && !s.readerDone && !s.cancelled { s.wait(s.notEmpty) }
                    if s.cancelled || s.queueHead == s.queue.count {
                        s.unlock()
                        break
                    }
                    let (seq, item) = s.queue[s.queueHead]
                    s.queueHead += 1
                    if s.queueHead > 1024 && s.queueHead * 2 > s.queue.count {
                        s.queue.removeFirst(s.queueHead)
                        s.queueHead = 0
                    }
                    s.unlock()
                    let out = work(item)
                    s.lock()
                    s.results[seq] = out
                    if seq == s.consumed { pthread_cond_signal(s.resultReady) }
                    s.unlock()
                }
                s.lock()
                s.running -= 1
                pthread_cond_broadcast(s.finished)
                s.unlock()
            }
            t.stackSize = 8 << 20
            t.start()
        }
        // Consume in order on this thread.
        while true {
            s.lock()
            while s.results[s.consumed] == nil && !(s.readerDone && s.consumed == s.produced) { s.wait(s.resultReady) }
            guard let out = s.results.removeValue(forKey: s.consumed) else {
                s.unlock()
                break
            }
            s.unlock()
            let keepGoing = consume(out)
            s.lock()
            s.consumed += 1
            pthread_cond_signal(s.notFull)
            if !keepGoing {
                s.cancelled = true
                pthread_cond_broadcast(s.notFull)
                pthread_cond_broadcast(s.notEmpty)
            }
            s.unlock()
            if !keepGoing { break }
        }
        s.lock()
        while s.running > 0 || !s.readerDone { s.wait(s.finished) }
        s.unlock()
    }
}

struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ v: T) { value = v }
}
