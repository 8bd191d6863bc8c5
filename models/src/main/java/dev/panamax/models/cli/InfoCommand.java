package dev.panamax.models.cli;

import dev.panamax.engine.Backends;
import dev.panamax.engine.cuda.CudaAvailability;
import dev.panamax.engine.parallel.WorkerPool;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** Prints what Panamax found on this machine: JVM, vector shape, GEMM blocking, threads, CUDA, backend. */
@Command(name = "info", description = "Show the JVM, vector width, GEMM configuration, threads, CUDA availability and "
        + "backend.")
final class InfoCommand implements Callable<Integer> {

    @ParentCommand
    private PanamaxCommand parent;

    @Override
    public Integer call() {
        System.out.println("java      " + System.getProperty("java.vm.name") + " " + Runtime.version());
        System.out.println("cpu       " + System.getProperty("os.arch") + ", "
                + Runtime.getRuntime().availableProcessors() + " cores");
        System.out.println("threads   " + WorkerPool.shared().threads());
        System.out.println("cuda      " + CudaAvailability.describe());
        System.out.println("backend   " + Backends.select(parent.backend));
        return 0;
    }
}
