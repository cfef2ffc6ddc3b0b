import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Answers a stream of inputs on several threads and hands the answers over in input order, each
/// as soon as it and every one before it are made: a line read from a pipe is answered before the
/// next one arrives, as with one thread. Inputs are read on a thread of their own, answered on
/// `jobs` threads, and handed over on the caller's; at most `2 × jobs` inputs are between reading
/// and handing over, so memory stays bounded whatever the stream's length.
enum Ordered {
    /// `next` is called on one thread only, until it gives nil; `answer` on any of `jobs` threads;
    /// `deliver` on the caller's thread, in the order `next` gave the inputs.
    static func run<Input: Sendable, Output: Sendable>(
        jobs: Int, next: @escaping @Sendable () -> Input?, answer: @escaping @Sendable (Input) -> Output,
        deliver: (Output) -> Void
    ) {
        func oneByOne() { while let input = next() { deliver(answer(input)) } }
        // One job: one thread, no other (what `--jobs 1` promises), and no semaphore made.
        guard jobs > 1 else { return oneByOne() }
        // A thread that cannot be started (the machine is out of them) leaves fewer workers; with
        // none, or no reader, the inputs are answered here one by one too (nothing read yet).
        let state = State<Input, Output>(jobs: jobs)
        var workers: [Thread] = []
        while workers.count < jobs, let t = spawn({ state.work(answer) }) { workers.append(t) }
        let started = workers.count
        guard started > 0, let reader = spawn({ state.read(next, workers: started) }) else {
            state.stopWorkers(started)
            for t in workers { join(t) }
            return oneByOne()
        }
        while let slot = state.nextInOrder() {
            slot.made.wait()
            // Made on a worker; the semaphore orders its write before this read.
            deliver(slot.output!)
            slot.output = nil
            state.room.signal()
        }
        join(reader)
        for t in workers { join(t) }
    }

    /// One input's place in the order, and its answer once made.
    final class Slot<Output: Sendable>: @unchecked Sendable {
        var output: Output?
        let made = DispatchSemaphore(value: 0)
    }

    final class State<Input: Sendable, Output: Sendable>: Sendable {
        /// Places left between reading and handing over.
        let room: DispatchSemaphore
        /// Slots in input order (nil: the end), for the caller.
        private let order = Mutex<[Slot<Output>?]>([])
        private let ordered = DispatchSemaphore(value: 0)
        /// Inputs waiting for a worker (nil: stop), first in first out.
        private let pending = Mutex<[(input: Input, slot: Slot<Output>)?]>([])
        private let waiting = DispatchSemaphore(value: 0)

        init(jobs: Int) {
            // Made at 0 and raised: libdispatch traps when a semaphore is freed below the value it
            // was made with, and the reader leaves one place taken at the end.
            room = DispatchSemaphore(value: 0)
            for _ in 0..<2 * jobs { room.signal() }
        }

        /// Reads until `next` gives nil, then stops the `workers` started.
        func read(_ next: () -> Input?, workers: Int) {
            while true {
                room.wait()
                guard let input = next() else { break }
                let slot = Slot<Output>()
                order.withLock { $0.append(slot) }
                ordered.signal()
                pending.withLock { $0.append((input, slot)) }
                waiting.signal()
            }
            order.withLock { $0.append(nil) }
            ordered.signal()
            stopWorkers(workers)
        }

        func stopWorkers(_ workers: Int) {
            pending.withLock { $0.append(contentsOf: Array(repeating: nil, count: workers)) }
            for _ in 0..<workers { waiting.signal() }
        }

        func work(_ answer: (Input) -> Output) {
            while true {
                waiting.wait()
                guard let (input, slot) = pending.withLock({ $0.removeFirst() }) else { return }
                slot.output = answer(input)
                slot.made.signal()
            }
        }

        func nextInOrder() -> Slot<Output>? {
            ordered.wait()
            return order.withLock { $0.removeFirst() }
        }
    }

    /// The reader, answer and JSON readers recurse as deep as the nesting limit allows: the
    /// threads get the main thread's usual stack.
    static let stackBytes = 8 << 20

    private final class Body {
        let run: () -> Void
        init(_ run: @escaping () -> Void) { self.run = run }
    }

    typealias Thread = pthread_t

    private static func spawn(_ body: @escaping @Sendable () -> Void) -> Thread? {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setstacksize(&attributes, stackBytes)
        let context = Unmanaged.passRetained(Body(body)).toOpaque()
        #if canImport(Darwin)
        var thread: pthread_t?
        #else
        var thread = pthread_t()
        #endif
        let status = pthread_create(&thread, &attributes, { context in
            Unmanaged<Body>.fromOpaque(context!).takeRetainedValue().run()
            return nil
        }, context)
        guard status == 0 else {
            Unmanaged<Body>.fromOpaque(context).release()
            return nil
        }
        return thread
    }

    private static func join(_ thread: Thread) {
        pthread_join(thread, nil)
    }
}
