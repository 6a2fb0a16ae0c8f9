import Foundation

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

    final class State: @unchecked Sendable {
        let lock = NSCondition()
        var queue: [(Int, Input)] = []
        var queueHead = 0
        var results: [Int: Output] = [:]
        var produced = 0        // items handed out by the reader
        var consumed = 0        // items given to `consume`
        var readerDone = false
        var cancelled = false
        var running = 0         // worker threads not yet finished
    }

    /// Runs the pipeline. `produce` calls `emit` for every item in order and returns when the
    /// input ends; `emit` returns false when the scan was stopped (stop producing then).
    public func run(produce: @escaping @Sendable (_ emit: @escaping (Input) -> Bool) -> Void,
                    work: @escaping @Sendable (Input) -> Output,
                    consume: (Output) -> Bool) {
        if jobs == 1 {
            // One core: read, work and consume on this thread.
            var stop = false
            withoutActuallyEscaping(consume) { consume in
                let box = UncheckedBox(consume)
                produce { item in
                    if stop { return false }
                    if !box.value(work(item)) { stop = true; return false }
                    return true
                }
            }
            return
        }
        let s = State()
        let window = self.window
        let reader = Thread {
            produce { item in
                s.lock.lock()
                defer { s.lock.unlock() }
                while !s.cancelled && s.produced - s.consumed >= window { s.lock.wait() }
                if s.cancelled { return false }
                s.queue.append((s.produced, item))
                s.produced += 1
                s.lock.broadcast()
                return true
            }
            s.lock.lock()
            s.readerDone = true
            s.lock.broadcast()
            s.lock.unlock()
        }
        reader.stackSize = 8 << 20
        reader.start()
        s.running = jobs
        for _ in 0..<jobs {
            let t = Thread {
                while true {
                    s.lock.lock()
                    while s.queueHead == s.queue.count && !s.readerDone && !s.cancelled { s.lock.wait() }
                    if s.cancelled || s.queueHead == s.queue.count {
                        s.lock.unlock()
                        break
                    }
                    let (seq, item) = s.queue[s.queueHead]
                    s.queueHead += 1
                    if s.queueHead > 1024 && s.queueHead * 2 > s.queue.count {
                        s.queue.removeFirst(s.queueHead); s.queueHead = 0
                    }
                    s.lock.unlock()
                    let out = work(item)
                    s.lock.lock()
                    s.results[seq] = out
                    s.lock.broadcast()
                    s.lock.unlock()
                }
                s.lock.lock(); s.running -= 1; s.lock.broadcast(); s.lock.unlock()
            }
            t.stackSize = 8 << 20
            t.start()
        }
        // Consume in order on this thread.
        while true {
            s.lock.lock()
            while s.results[s.consumed] == nil && !(s.readerDone && s.consumed == s.produced) { s.lock.wait() }
            guard let out = s.results.removeValue(forKey: s.consumed) else { s.lock.unlock(); break }
            s.lock.unlock()
            let keepGoing = consume(out)
            s.lock.lock()
            s.consumed += 1
            if !keepGoing { s.cancelled = true }
            s.lock.broadcast()
            s.lock.unlock()
            if !keepGoing { break }
        }
        s.lock.lock()
        while s.running > 0 || !s.readerDone { s.lock.wait() }
        s.lock.unlock()
    }
}

struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ v: T) { value = v }
}
