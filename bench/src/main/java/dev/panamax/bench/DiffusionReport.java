package dev.panamax.bench;

import dev.panamax.engine.parallel.WorkerPool;
import dev.panamax.models.diffusion.DiffusionRecipe;
import dev.panamax.models.diffusion.UNet;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Runs {@link PeakFlopsBenchmark} and {@link DiffusionStepBenchmark} in one go and prints the diffusion table of
 * bench/README.md: time per step, model GFLOP/s and MFU against the peak measured in the same run.
 *
 * <pre>
 * java ... dev.panamax.bench.DiffusionReport [threads, default 1,2]
 * </pre>
 */
public final class DiffusionReport {

    private DiffusionReport() {
    }

    public static void main(String[] args) throws RunnerException, IOException {
        String[] threads = args.length > 0 ? args[0].split(",") : new String[] {"1", "2"};
        String load = Files.readString(Path.of("/proc/loadavg")).trim();
        Collection<RunResult> results = new ArrayList<>();
        results.addAll(run(PeakFlopsBenchmark.class, threads));
        results.addAll(run(DiffusionStepBenchmark.class, threads));
        long flopsPerImage;
        try (Arena arena = Arena.ofShared()) {
            flopsPerImage = new UNet(arena, DiffusionRecipe.model(DiffusionStepBenchmark.SIDE, 4), 0).flopsPerImage();
        }
        Map<String, Double> peak = new HashMap<>();
        List<String> rows = new ArrayList<>();
        for (RunResult r : results) {
            String name = r.getParams().getBenchmark();
            String t = r.getParams().getParam("threads");
            double msPerOp = r.getPrimaryResult().getScore();
            if (name.endsWith("fmaPeak")) {
                peak.put(t, PeakFlopsBenchmark.flopsPerOp(Integer.parseInt(t)) / (msPerOp * 1e6));
            }
        }
        System.out.printf(Locale.ROOT, "%nDiffusion recipe U-Net: %.1f MFLOP per image forward; load average at start "
                + "%s%n%n", flopsPerImage / 1e6, load);
        System.out.println("| benchmark | threads | ms/op | model GFLOP/op | GFLOP/s | peak GFLOP/s | MFU |");
        System.out.println("|---|---|---|---|---|---|---|");
        for (RunResult r : results) {
            String name = r.getParams().getBenchmark();
            String t = r.getParams().getParam("threads");
            double ms = r.getPrimaryResult().getScore();
            double flops;
            if (name.endsWith("trainStep")) {
                flops = DiffusionStepBenchmark.trainStepFlops(flopsPerImage);
            } else if (name.endsWith("sampleStep")) {
                flops = DiffusionStepBenchmark.sampleStepFlops(flopsPerImage);
            } else {
                continue;
            }
            double rate = flops / (ms * 1e6);
            Double p = peak.get(t);
            rows.add(String.format(Locale.ROOT, "| %s | %s | %.1f ± %.1f | %.2f | %.1f | %s | %s |",
                    name.substring(name.lastIndexOf('.') + 1), t, ms, r.getPrimaryResult().getScoreError(), flops / 1e9,
                    rate, p == null ? "-" : String.format(Locale.ROOT, "%.1f", p),
                    p == null ? "-" : String.format(Locale.ROOT, "%.0f%%", 100 * rate / p)));
        }
        rows.forEach(System.out::println);
        System.out.println("(threads " + String.join(",", threads) + "; pool: " + WorkerPool.shared().threads()
                + " cores seen)");
    }

    private static Collection<RunResult> run(Class<?> benchmark, String[] threads) throws RunnerException {
        ChainedOptionsBuilder options = new OptionsBuilder()
                .include("^" + Pattern.quote(benchmark.getName()) + "\\.")
                .param("threads", threads)
                .shouldFailOnError(true);
        if (benchmark == DiffusionStepBenchmark.class) {
            options.param("backend", "simd");   // the CPU table; the cuda rows run in the device checks
        }
        return new Runner(options.build()).run();
    }
}
