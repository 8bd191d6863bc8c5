package dev.panamax.engine.parallel;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntConsumer;

/**
 * A fixed set of threads that run one data-parallel job at a time.
 *
 * <p>A job is {@code run(parts, task)}: {@code task.accept(part)} runs once for every part in {@code [0, parts)}.
 * The caller defines what each part computes (a pure function of the part index), so a kernel's result never
 * depends on scheduling; which thread runs a part does. Threads <em>claim</em> parts from a shared counter, the
 * calling thread included: when a worker is slow to wake or its core is taken by another process, the others
 * take its parts instead of waiting for it. (A static part-per-thread split with barriers made a 2-thread GEMM
 * of 768×128×65 eight times slower than 1 thread on a loaded machine.) Parts must therefore be independent: a
 * kernel with phases (GEMM packs a shared panel, then computes on it) runs one job per phase.
 *
 * <p>Jobs from different caller threads are serialised by a lock, so per-thread scratch buffers owned by a
 * kernel are never used twice at once. A job submitted from inside a job runs on the submitting thread alone
 * (all parts in order) instead of deadlocking.
 *
 * <p>Workers spin briefly before parking, since on a machine with few cores the next job usually follows within
 * microseconds (GEMM calls in a training step); they are daemon threads, so an idle pool never keeps the JVM
 * alive.
 */
public final class WorkerPool implements AutoCloseable {

    /** System property that sizes the shared pool: {@code -Dpanamax.threads=N}. */
    public static final String THREADS_PROPERTY = "panamax.threads";

    private static final int SPIN_ITERATIONS = 20_000;
    private static volatile WorkerPool shared;

    private final int threads;
    private final Worker[] workers;            // workers[0] is unused: the caller is the first thread
    private final ReentrantLock jobLock = new ReentrantLock();
    /** The job being run, or the last one; workers join a job they have not seen yet. */
    private volatile Job current;
    private volatile boolean closed;

    /** A pool of {@code threads} threads in all, counting the caller (so {@code threads - 1} are started). */
    public WorkerPool(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("WorkerPool: threads must be >= 1, got " + threads);
        }
        this.threads = threads;
        this.workers = new Worker[threads];
        for (int i = 1; i < threads; i++) {
            workers[i] = new Worker(i);
            workers[i].start();
        }
    }

    /**
     * The process-wide pool. Its size is {@code -Dpanamax.threads} when set, else the number of available cores;
     * {@link #setSharedThreads(int)} replaces it.
     */
    public static WorkerPool shared() {
        WorkerPool pool = shared;
        if (pool == null) {
            synchronized (WorkerPool.class) {
                pool = shared;
                if (pool == null) {
                    pool = new WorkerPool(defaultThreads());
                    shared = pool;
                }
            }
        }
        return pool;
    }

    /** Replaces the shared pool with one of {@code threads} threads (the old one is closed after its job). */
    public static synchronized void setSharedThreads(int threads) {
        WorkerPool old = shared;
        if (old != null && old.threads == threads) {
            return;
        }
        shared = new WorkerPool(threads);
        if (old != null) {
            old.close();
        }
    }

    static int defaultThreads() {
        String property = System.getProperty(THREADS_PROPERTY);
        if (property == null || property.isBlank()) {
            return Runtime.getRuntime().availableProcessors();
        }
        try {
            int n = Integer.parseInt(property.trim());
            if (n < 1) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "-D" + THREADS_PROPERTY + "=" + property + ": expected a whole number >= 1");
        }
    }

    public int threads() {
        return threads;
    }

    /**
     * Runs {@code task.accept(part)} for every part in {@code [0, threads())} and returns when all are done;
     * see {@link #run(int, IntConsumer)}.
     */
    public void run(IntConsumer task) {
        run(threads, task);
    }

    /**
     * Runs {@code task.accept(part)} once for every part in {@code [0, parts)}, spread over the pool's threads
     * (the caller included), and returns when all parts are done. More parts than threads balance uneven work.
     * An exception thrown by any part is rethrown here, after the other parts finished.
     */
    public void run(int parts, IntConsumer task) {
        if (closed) {
            throw new IllegalStateException("WorkerPool: this pool was closed");
        }
        if (parts < 0) {
            throw new IllegalArgumentException("WorkerPool.run: parts must be >= 0, got " + parts);
        }
        if (threads == 1 || parts <= 1 || isWorkerThread() || jobLock.isHeldByCurrentThread()) {
            for (int part = 0; part < parts; part++) {   // also a job nested in a job: inline, never a deadlock
                task.accept(part);
            }
            return;
        }
        jobLock.lock();
        try {
            Job job = new Job(task, parts);
            current = job;
            for (int i = 1; i < Math.min(threads, parts); i++) {
                workers[i].wake();
            }
            job.work();
            job.awaitCompletion();
            Throwable t = job.failure.get();
            if (t != null) {
                if (t instanceof RuntimeException re) {
                    throw re;
                }
                if (t instanceof Error err) {
                    throw err;
                }
                throw new RuntimeException(t);
            }
        } finally {
            jobLock.unlock();
        }
    }

    /** A contiguous share {@code [from, to)} of a range, for {@link #runRange}. */
    @FunctionalInterface
    public interface RangeTask {
        void run(long from, long to);
    }

    /**
     * Splits {@code [0, total)} into one contiguous share per thread and runs them; runs on the caller alone when
     * {@code total < minPerThread · 2} (waking workers for little work costs more than it saves). Shares are a
     * pure function of {@code total} and the pool size, so results never depend on scheduling.
     */
    public void runRange(long total, long minPerThread, RangeTask task) {
        if (total <= 0) {
            return;
        }
        int parts = (int) Math.max(1, Math.min(threads, total / Math.max(1, minPerThread)));
        if (parts == 1) {
            task.run(0, total);
            return;
        }
        run(part -> {
            if (part < parts) {
                task.run(total * part / parts, total * (part + 1) / parts);
            }
        });
    }

    private boolean isWorkerThread() {
        return Thread.currentThread() instanceof Worker;
    }

    /** One job: its parts are claimed from {@code nextPart} by whichever thread gets there first. */
    private static final class Job {
        final IntConsumer task;
        final int parts;
        final AtomicInteger nextPart = new AtomicInteger();
        final AtomicInteger unfinished;
        final AtomicReference<Throwable> failure = new AtomicReference<>();

        Job(IntConsumer task, int parts) {
            this.task = task;
            this.parts = parts;
            this.unfinished = new AtomicInteger(parts);
        }

        /** Claims and runs parts until none is left. */
        void work() {
            int part;
            while ((part = nextPart.getAndIncrement()) < parts) {
                try {
                    task.accept(part);
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    unfinished.decrementAndGet();
                }
            }
        }

        /** Waits for parts other threads claimed and are still running. */
        void awaitCompletion() {
            int spins = 0;
            while (unfinished.get() > 0) {
                if (++spins < SPIN_ITERATIONS) {
                    Thread.onSpinWait();
                } else {
                    Thread.yield();
                }
            }
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        jobLock.lock();
        try {
            closed = true;
            for (int i = 1; i < threads; i++) {
                workers[i].wake();
            }
        } finally {
            jobLock.unlock();
        }
    }

    @Override
    public String toString() {
        return "WorkerPool[" + threads + " threads]";
    }

    private final class Worker extends Thread {
        private volatile boolean parked;

        Worker(int index) {
            super("panamax-worker-" + index);
            setDaemon(true);
        }

        void wake() {
            if (parked) {
                LockSupport.unpark(this);
            }
        }

        @Override
        public void run() {
            Job seen = null;
            while (true) {
                int spins = 0;
                Job job;
                while ((job = current) == seen && !closed) {
                    if (++spins < SPIN_ITERATIONS) {
                        Thread.onSpinWait();
                    } else {
                        parked = true;
                        if (current == seen && !closed) {   // re-check: a job posted before the flag was seen
                            LockSupport.parkNanos(this, 1_000_000L);
                        }
                        parked = false;
                    }
                }
                if (closed) {
                    return;
                }
                seen = job;
                job.work();
            }
        }
    }
}
