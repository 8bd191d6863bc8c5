package dev.panamax.engine.parallel;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntConsumer;

/**
 * A fixed set of threads that run one data-parallel job at a time.
 *
 * <p>A job is {@code run(task)}: part {@code i} of {@code threads()} runs on worker {@code i}, where worker 0 is
 * the calling thread. Parts are assigned statically (the caller splits the work by index), so a kernel's result
 * never depends on scheduling. Kernels use {@link #barrier()} between phases of one job (GEMM packs a shared
 * panel, waits, then computes on it).
 *
 * <p>Jobs from different caller threads are serialised by a lock, so per-worker scratch buffers owned by a
 * kernel are never used twice at once. A job submitted from inside a job runs on the submitting thread alone
 * (all parts in order) instead of deadlocking; that is only correct for jobs whose parts are independent, so
 * {@link #barrier()} inside such a nested job throws rather than let the parts see each other's half-done work.
 * Kernels that run inside a job use a one-thread pool (as {@code SimdBackend.gemmStridedBatched} does).
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
    /** Whether this thread is running the parts of a nested job inline (see {@link #barrier()}). */
    private static final ThreadLocal<boolean[]> NESTED = ThreadLocal.withInitial(() -> new boolean[1]);

    private final int threads;
    private final Worker[] workers;            // workers[0] is unused: part 0 runs on the caller
    private final ReentrantLock jobLock = new ReentrantLock();
    private final AtomicInteger pending = new AtomicInteger();
    private final AtomicInteger barrierArrived = new AtomicInteger();
    private volatile int barrierGeneration;
    private volatile IntConsumer currentTask;
    private volatile Thread caller;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
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
     * Runs {@code task.accept(part)} for every part in {@code [0, threads())}, part 0 on the calling thread, and
     * returns when all parts are done. An exception thrown by any part is rethrown here.
     */
    public void run(IntConsumer task) {
        if (closed) {
            throw new IllegalStateException("WorkerPool: this pool was closed");
        }
        if (threads == 1) {
            task.accept(0);
            return;
        }
        if (isWorkerThread() || jobLock.isHeldByCurrentThread()) {
            boolean[] nested = NESTED.get();
            boolean outer = nested[0];
            nested[0] = true;
            try {
                for (int part = 0; part < threads; part++) {
                    task.accept(part);
                }
            } finally {
                nested[0] = outer;
            }
            return;
        }
        jobLock.lock();
        try {
            failure.set(null);
            barrierArrived.set(0);     // a failed job may have left a barrier half-counted
            caller = Thread.currentThread();
            pending.set(threads - 1);
            currentTask = task;
            for (int i = 1; i < threads; i++) {
                workers[i].submit();
            }
            try {
                task.accept(0);
            } catch (Throwable t) {
                recordFailure(t);
            }
            awaitWorkers();
            currentTask = null;
            Throwable t = failure.get();
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

    /**
     * Waits until every part of the current job reached this call. Only valid inside {@link #run}; every part
     * must call it the same number of times. A no-op for a one-thread pool or a nested (inline) job.
     */
    public void barrier() {
        if (NESTED.get()[0]) {
            throw new IllegalStateException("WorkerPool.barrier: called in a job nested inside another job, whose "
                    + "parts run one after another on one thread; run the inner work on a one-thread pool");
        }
        if (threads == 1 || !inParallelJob()) {
            return;
        }
        int generation = barrierGeneration;
        if (barrierArrived.incrementAndGet() == threads) {
            barrierArrived.set(0);
            barrierGeneration = generation + 1;
            return;
        }
        int spins = 0;
        while (barrierGeneration == generation) {
            if (failure.get() != null) {
                throw new IllegalStateException("WorkerPool: another part of this job failed", failure.get());
            }
            if (++spins < SPIN_ITERATIONS) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
    }

    private boolean inParallelJob() {
        Thread t = Thread.currentThread();
        return (t instanceof Worker w && w.pool() == this) || (t == caller && jobLock.isHeldByCurrentThread());
    }

    private boolean isWorkerThread() {
        return Thread.currentThread() instanceof Worker;
    }

    private void recordFailure(Throwable t) {
        failure.compareAndSet(null, t);
    }

    private void awaitWorkers() {
        int spins = 0;
        while (pending.get() > 0) {
            if (++spins < SPIN_ITERATIONS) {
                Thread.onSpinWait();
            } else {
                LockSupport.parkNanos(50_000);
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
                workers[i].submit();
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
        private final int part;
        private volatile long submitted;
        private long done;

        Worker(int part) {
            super("panamax-worker-" + part);
            this.part = part;
            setDaemon(true);
        }

        WorkerPool pool() {
            return WorkerPool.this;
        }

        void submit() {
            submitted++;
            LockSupport.unpark(this);
        }

        @Override
        public void run() {
            while (true) {
                int spins = 0;
                while (submitted == done) {
                    if (++spins < SPIN_ITERATIONS) {
                        Thread.onSpinWait();
                    } else {
                        LockSupport.park(this);
                    }
                }
                done = submitted;
                if (closed) {
                    return;
                }
                try {
                    currentTask.accept(part);
                } catch (Throwable t) {
                    recordFailure(t);
                } finally {
                    pending.decrementAndGet();
                }
            }
        }
    }
}
