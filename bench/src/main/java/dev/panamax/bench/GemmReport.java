package dev.panamax.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatFactory;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs the GEMM benchmarks and the FMA peak in one go and answers the question they exist for: how close is each
 * backend to OpenBLAS and to what the cores can do, shape by shape.
 *
 * <p>JMH alone cannot express the run: its parameters form a full cross product, but the scalar backend only makes
 * sense single-threaded on small shapes, and OpenBLAS only where the library is installed. So this class starts
 * one JMH run per meaningful subset (peak; scalar; SIMD and OpenBLAS), merges their results into a single JMH JSON
 * file, and derives GFLOP/s and the two ratios, which JMH's own output (time per operation) does not give.
 *
 * <p>Usage (from the repository root, after {@code mvn -pl bench package}):
 * <pre>
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
 *      -cp bench/target/classes:$(cat bench/target/classpath.txt) dev.panamax.bench.GemmReport \
 *      [--quick] [--shapes 256,768x128x65] [--threads 1,2] [--out DIR]
 * </pre>
 * Results go to {@code DIR/gemm.json} (JMH's format) and {@code DIR/gemm.md}; DIR defaults to {@code bench/results}
 * when run from the repository root, else {@code results}.
 */
public final class GemmReport {

    /** The shapes on which the scalar backend finishes an operation in well under a second. */
    private static final List<String> SCALAR_SHAPES = List.of("256", "512", "768x128x65", "1x768x2304");
    private static final List<String> BACKEND_ORDER =
            List.of(GemmBenchmark.SCALAR, GemmBenchmark.SIMD, GemmBenchmark.OPENBLAS);

    /** --quick: a smoke run that shows everything works, not numbers to compare. */
    private static final int QUICK_WARMUP_ITERATIONS = 1;
    private static final int QUICK_MEASUREMENT_ITERATIONS = 2;
    private static final TimeValue QUICK_ITERATION_TIME = TimeValue.milliseconds(500);
    private static final String QUICK_SETTINGS = "warmup " + QUICK_WARMUP_ITERATIONS + " x 0.5 s, measurement "
            + QUICK_MEASUREMENT_ITERATIONS + " x 0.5 s";

    private static final String[] COLUMNS =
            {"shape", "threads", "backend", "ms/op", "GFLOP/s", "vs OpenBLAS", "vs peak"};

    private static final String USAGE = """
            Usage: GemmReport [--quick] [--shapes S1,S2,...] [--threads T1,T2,...] [--out DIR]
              --quick      smoke run: %s (default: %s)
              --shapes     N (for NxNxN) or MxKxN, comma-separated (default: %s)
              --threads    thread counts, comma-separated (default: %s)
              --out DIR    where gemm.json and gemm.md go (default: bench/results from the repository root, else results)
            """;

    private GemmReport() {
    }

    public static void main(String[] args) throws RunnerException, IOException {
        Settings settings;
        try {
            settings = Settings.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("GemmReport: " + e.getMessage());
            System.err.print(usage());
            System.exit(2);
            return;
        }
        if (settings == null) {
            System.out.print(usage());
            return;
        }

        String loadAtStart = loadAverage();
        List<RunResult> results = new ArrayList<>();
        List<Planned> planned = new ArrayList<>();
        List<String> notes = new ArrayList<>();

        List<String> fastBackends = new ArrayList<>(List.of(GemmBenchmark.SIMD));
        if (OpenBlas.isAvailable()) {
            fastBackends.add(GemmBenchmark.OPENBLAS);
        } else {
            notes.add("openblas: skipped, " + OpenBlas.unavailableReason());
            System.out.println("# OpenBLAS skipped: " + OpenBlas.unavailableReason());
        }

        results.addAll(runJmh(settings, PeakFlopsBenchmark.class, Map.of("threads", strings(settings.threads()))));

        List<String> scalarShapes = settings.shapes().stream().filter(SCALAR_SHAPES::contains).toList();
        if (scalarShapes.isEmpty() || !settings.threads().contains(1)) {
            notes.add("scalar: not run (it runs only with threads=1 on shapes " + String.join(", ", SCALAR_SHAPES)
                    + "; larger shapes take minutes per operation)");
        } else {
            planned.addAll(plan(List.of(GemmBenchmark.SCALAR), scalarShapes, List.of(1)));
            results.addAll(runJmh(settings, GemmBenchmark.class, Map.of(
                    "backend", List.of(GemmBenchmark.SCALAR), "threads", List.of("1"), "shape", scalarShapes)));
        }

        planned.addAll(plan(fastBackends, settings.shapes(), settings.threads()));
        results.addAll(runJmh(settings, GemmBenchmark.class, Map.of(
                "backend", fastBackends, "threads", strings(settings.threads()), "shape", settings.shapes())));

        Files.createDirectories(settings.outDir());
        Path json = settings.outDir().resolve("gemm.json");
        try (PrintStream out = new PrintStream(Files.newOutputStream(json), false, StandardCharsets.UTF_8)) {
            ResultFormatFactory.getInstance(ResultFormatType.JSON, out).writeOut(results);
        }

        Map<Integer, Double> peakByThreads = peaks(results);
        List<Row> rows = rows(planned, results, settings.shapes(), peakByThreads);
        String header = header(settings, peakByThreads, notes, loadAtStart);

        System.out.println();
        System.out.print(header.replace("**", ""));
        System.out.println();
        System.out.print(textTable(rows));

        Path markdown = settings.outDir().resolve("gemm.md");
        Files.writeString(markdown, "# GEMM throughput\n\n" + header + "\n" + markdownTable(rows),
                StandardCharsets.UTF_8);
        Path chart = settings.outDir().resolve("gemm.png");
        writeChart(rows, peakByThreads, chart);
        System.out.println();
        System.out.println("Wrote " + json + ", " + markdown + " and " + chart);
    }

    /** GFLOP/s per shape and thread count, one bar per backend, with each thread count's measured peak. */
    private static void writeChart(List<Row> rows, Map<Integer, Double> peakByThreads, Path png) throws IOException {
        BarChart chart = new BarChart("GEMM throughput (C = A·B, fp32)", "GFLOP/s");
        for (Row row : rows) {
            if (row.gflops() != null) {
                chart.add(row.shape() + " ×" + row.threads(), row.backend(), row.gflops());
            }
        }
        peakByThreads.forEach((threads, peak) -> chart.referenceLine("FMA peak, " + threads + " thread"
                + (threads == 1 ? "" : "s"), peak));
        chart.write(png);
    }

    // ---------------------------------------------------------------- running JMH

    private static Collection<RunResult> runJmh(Settings settings, Class<?> benchmark, Map<String, List<String>> params)
            throws RunnerException {
        ChainedOptionsBuilder options = new OptionsBuilder()
                .include("^" + Pattern.quote(benchmark.getName()) + "\\.")
                .jvmArgsAppend(jvmFlags())
                .shouldFailOnError(false);
        if (settings.quick()) {
            options.warmupIterations(QUICK_WARMUP_ITERATIONS).warmupTime(QUICK_ITERATION_TIME)
                    .measurementIterations(QUICK_MEASUREMENT_ITERATIONS).measurementTime(QUICK_ITERATION_TIME);
        }
        params.forEach((name, values) -> options.param(name, values.toArray(String[]::new)));
        return new Runner(options.build()).run();
    }

    /** The JVM flags every Panamax process needs, as the parent pom defines them ({@code panamax.jvm.flags}). */
    private static String[] jvmFlags() {
        Properties properties = new Properties();
        try (InputStream in = GemmReport.class.getResourceAsStream("/panamax-bench.properties")) {
            if (in == null) {
                throw new IllegalStateException("panamax-bench.properties is missing from the classpath; "
                        + "build the bench module with Maven (mvn -pl bench package)");
            }
            properties.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String flags = properties.getProperty("jvm.flags", "").trim();
        if (flags.isEmpty() || flags.contains("${")) {
            throw new IllegalStateException("panamax-bench.properties was not filtered by Maven (jvm.flags='"
                    + flags + "'); build the bench module with Maven (mvn -pl bench package)");
        }
        return flags.split("\\s+");
    }

    private static List<Planned> plan(List<String> backends, List<String> shapes, List<Integer> threads) {
        List<Planned> planned = new ArrayList<>();
        for (String backend : backends) {
            for (String shape : shapes) {
                for (int t : threads) {
                    planned.add(new Planned(shape, t, backend));
                }
            }
        }
        return planned;
    }

    // ---------------------------------------------------------------- results

    /** What one JMH run should produce; a missing result (a failed fork) still gets a table row. */
    private record Planned(String shape, int threads, String backend) {
    }

    /** One table row; the numbers are null when the benchmark failed or the comparison is missing. */
    private record Row(String shape, int threads, String backend, Double msPerOp, Double msError, Double gflops,
                       Double vsOpenBlas, Double vsPeak) {
    }

    private static Map<Integer, Double> peaks(List<RunResult> results) {
        Map<Integer, Double> peaks = new TreeMap<>();
        for (RunResult r : results) {
            if (r.getParams().getBenchmark().startsWith(PeakFlopsBenchmark.class.getName() + ".")) {
                int threads = Integer.parseInt(r.getParams().getParam("threads"));
                peaks.put(threads, gflops(PeakFlopsBenchmark.flopsPerOp(threads), millisPerOp(r.getPrimaryResult())));
            }
        }
        return peaks;
    }

    private static List<Row> rows(List<Planned> planned, List<RunResult> results, List<String> shapeOrder,
                                  Map<Integer, Double> peakByThreads) {
        Map<Planned, Result<?>> measured = new HashMap<>();
        for (RunResult r : results) {
            if (r.getParams().getBenchmark().startsWith(GemmBenchmark.class.getName() + ".")) {
                Planned key = new Planned(r.getParams().getParam("shape"),
                        Integer.parseInt(r.getParams().getParam("threads")), r.getParams().getParam("backend"));
                measured.put(key, r.getPrimaryResult());
            }
        }
        List<Planned> ordered = planned.stream()
                .sorted(Comparator.comparingInt((Planned p) -> shapeOrder.indexOf(p.shape()))
                        .thenComparingInt(Planned::threads)
                        .thenComparingInt(p -> BACKEND_ORDER.indexOf(p.backend())))
                .toList();
        List<Row> rows = new ArrayList<>();
        for (Planned p : ordered) {
            Result<?> result = measured.get(p);
            if (result == null) {
                rows.add(new Row(p.shape(), p.threads(), p.backend(), null, null, null, null, null));
                continue;
            }
            double flops = GemmSize.parse(p.shape()).flops();
            double ms = millisPerOp(result);
            double gflops = gflops(flops, ms);
            Result<?> reference = measured.get(new Planned(p.shape(), p.threads(), GemmBenchmark.OPENBLAS));
            Double vsOpenBlas = reference == null ? null : gflops / gflops(flops, millisPerOp(reference));
            Double peak = peakByThreads.get(p.threads());
            rows.add(new Row(p.shape(), p.threads(), p.backend(), ms, result.getScoreError(), gflops, vsOpenBlas,
                    peak == null ? null : gflops / peak));
        }
        return rows;
    }

    private static double millisPerOp(Result<?> result) {
        if (!"ms/op".equals(result.getScoreUnit())) {
            throw new IllegalStateException("expected results in ms/op, got " + result.getScoreUnit());
        }
        return result.getScore();
    }

    private static double gflops(double flops, double millisPerOp) {
        return flops / (millisPerOp * 1e6);
    }

    // ---------------------------------------------------------------- output

    private static String header(Settings settings, Map<Integer, Double> peakByThreads, List<String> notes,
                                 String loadAtStart) {
        StringBuilder s = new StringBuilder();
        s.append("- **Machine:** ").append(cpuModel()).append(", ")
                .append(Runtime.getRuntime().availableProcessors()).append(" cores available to the JVM")
                .append(loadAtStart == null ? "" : "; load average when the run started: " + loadAtStart
                        + " (anything else running skews the numbers)")
                .append('\n');
        s.append("- **JVM:** ").append(System.getProperty("java.vm.name")).append(' ')
                .append(Runtime.version()).append(", vectors ").append(PeakFlopsBenchmark.species()).append('\n');
        s.append("- **OpenBLAS:** ").append(OpenBlas.isAvailable()
                ? OpenBlas.libraryName() + " (" + OpenBlas.config() + ")"
                : "not available: " + OpenBlas.unavailableReason()).append('\n');
        s.append("- **Run:** ").append(settings.quick()
                ? "quick (" + QUICK_SETTINGS + "; a smoke test, not a measurement: the SIMD backend's first "
                        + "operation runs before C2 has compiled its kernels and outlasts the warmup, so SIMD rows "
                        + "read low)"
                : "full (" + annotatedIterations() + ")").append(", one fork per configuration\n");
        s.append("- **Operation:** C = A·B, row-major, no transposes, alpha 1, beta 0; shape is MxKxN; "
                + "GFLOP/s = 2·M·N·K / time\n");
        s.append("- **Peak fp32 FMA** (Vector API, ").append(PeakFlopsBenchmark.CHAINS)
                .append(" independent chains per thread):");
        if (peakByThreads.isEmpty()) {
            s.append(" not measured (the peak benchmark failed; see the JMH output)");
        }
        peakByThreads.forEach((threads, gflops) -> s.append(' ').append(threads)
                .append(threads == 1 ? " thread " : " threads ").append(format(gflops, 1)).append(" GFLOP/s;"));
        if (s.charAt(s.length() - 1) == ';') {
            s.setLength(s.length() - 1);
        }
        s.append('\n');
        for (String note : notes) {
            s.append("- ").append(note).append('\n');
        }
        return s.toString();
    }

    /** The iteration settings written on {@link GemmBenchmark}, which a run without --quick uses. */
    private static String annotatedIterations() {
        Warmup warmup = GemmBenchmark.class.getAnnotation(Warmup.class);
        Measurement measurement = GemmBenchmark.class.getAnnotation(Measurement.class);
        return "warmup " + warmup.iterations() + " x " + warmup.time() + " " + unit(warmup.timeUnit())
                + ", measurement " + measurement.iterations() + " x " + measurement.time() + " "
                + unit(measurement.timeUnit());
    }

    private static String unit(TimeUnit unit) {
        return switch (unit) {
            case SECONDS -> "s";
            case MILLISECONDS -> "ms";
            default -> unit.toString().toLowerCase(Locale.ROOT);
        };
    }

    private static List<String[]> cells(List<Row> rows) {
        List<String[]> cells = new ArrayList<>();
        for (Row r : rows) {
            String time = r.msPerOp() == null ? "failed"
                    : format(r.msPerOp(), 3) + (Double.isFinite(r.msError()) ? " ± " + format(r.msError(), 3) : "");
            cells.add(new String[] {r.shape(), Integer.toString(r.threads()), r.backend(), time,
                    r.gflops() == null ? "-" : format(r.gflops(), 2),
                    r.vsOpenBlas() == null ? "-" : format(r.vsOpenBlas(), 2) + "x",
                    r.vsPeak() == null ? "-" : format(100 * r.vsPeak(), 1) + "%"});
        }
        return cells;
    }

    private static String textTable(List<Row> rows) {
        List<String[]> cells = cells(rows);
        int[] widths = new int[COLUMNS.length];
        for (String[] line : Stream.concat(Stream.<String[]>of(COLUMNS), cells.stream()).toList()) {
            for (int i = 0; i < line.length; i++) {
                widths[i] = Math.max(widths[i], line[i].length());
            }
        }
        StringBuilder s = new StringBuilder();
        appendAligned(s, COLUMNS, widths);
        String previousShape = null;
        for (String[] line : cells) {
            if (previousShape != null && !previousShape.equals(line[0])) {
                s.append('\n');
            }
            previousShape = line[0];
            appendAligned(s, line, widths);
        }
        return s.toString();
    }

    private static void appendAligned(StringBuilder s, String[] line, int[] widths) {
        for (int i = 0; i < line.length; i++) {
            boolean leftAligned = i == 0 || i == 2;
            String padding = " ".repeat(widths[i] - line[i].length());
            s.append(leftAligned ? line[i] + padding : padding + line[i]);
            s.append(i == line.length - 1 ? "\n" : "  ");
        }
    }

    private static String markdownTable(List<Row> rows) {
        StringBuilder s = new StringBuilder();
        s.append("| ").append(String.join(" | ", COLUMNS)).append(" |\n");
        s.append("|---|--:|---|--:|--:|--:|--:|\n");
        for (String[] line : cells(rows)) {
            s.append("| ").append(String.join(" | ", line)).append(" |\n");
        }
        return s.toString();
    }

    private static String format(double value, int decimals) {
        return String.format(Locale.ROOT, "%." + decimals + "f", value);
    }

    private static String cpuModel() {
        try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            Optional<String> model = lines.filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst();
            return model.orElse(System.getProperty("os.arch"));
        } catch (IOException | UncheckedIOException e) {
            return System.getProperty("os.arch");
        }
    }

    /** The 1, 5 and 15 minute load averages, or null where the OS does not publish them. */
    private static String loadAverage() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return fields.length >= 3 ? fields[0] + " " + fields[1] + " " + fields[2] : null;
        } catch (IOException | UncheckedIOException e) {
            return null;
        }
    }

    private static List<String> strings(List<Integer> values) {
        return values.stream().map(String::valueOf).toList();
    }

    private static String usage() {
        return USAGE.formatted(QUICK_SETTINGS, annotatedIterations(), String.join(",", defaultParam("shape")),
                String.join(",", defaultParam("threads")));
    }

    /** A parameter's values as declared on {@link GemmBenchmark}, so the defaults live in one place. */
    private static List<String> defaultParam(String field) {
        try {
            return List.of(GemmBenchmark.class.getField(field).getAnnotation(Param.class).value());
        } catch (NoSuchFieldException e) {
            throw new IllegalStateException("GemmBenchmark has no @Param field " + field, e);
        }
    }

    // ---------------------------------------------------------------- arguments

    private record Settings(boolean quick, List<String> shapes, List<Integer> threads, Path outDir) {

        /** The parsed arguments, or null when help was asked for. */
        static Settings parse(String[] args) {
            boolean quick = false;
            List<String> shapes = defaultParam("shape");
            List<Integer> threads = defaultParam("threads").stream().map(Integer::valueOf).toList();
            Path outDir = Files.isDirectory(Path.of("bench")) ? Path.of("bench", "results") : Path.of("results");
            for (int i = 0; i < args.length; i++) {
                String arg = args[i];
                switch (arg) {
                    case "--quick" -> quick = true;
                    case "--shapes" -> shapes = parseShapes(value(args, ++i, arg));
                    case "--threads" -> threads = parseThreads(value(args, ++i, arg));
                    case "--out" -> outDir = Path.of(value(args, ++i, arg));
                    case "-h", "--help" -> {
                        return null;
                    }
                    default -> throw new IllegalArgumentException("unknown argument '" + arg + "'");
                }
            }
            return new Settings(quick, shapes, threads, outDir);
        }

        private static String value(String[] args, int index, String option) {
            if (index >= args.length || args[index].startsWith("--")) {
                throw new IllegalArgumentException(option + " needs a value");
            }
            return args[index];
        }

        private static List<String> parseShapes(String list) {
            LinkedHashSet<String> shapes = new LinkedHashSet<>();
            for (String spec : list.split(",")) {
                String trimmed = spec.trim().toLowerCase(Locale.ROOT);
                if (!trimmed.isEmpty()) {
                    GemmSize.parse(trimmed);  // reject bad shapes here, not in a forked JVM minutes later
                    shapes.add(trimmed);
                }
            }
            if (shapes.isEmpty()) {
                throw new IllegalArgumentException("--shapes needs at least one shape");
            }
            return List.copyOf(shapes);
        }

        private static List<Integer> parseThreads(String list) {
            LinkedHashSet<Integer> threads = new LinkedHashSet<>();
            for (String value : list.split(",")) {
                if (value.isBlank()) {
                    continue;
                }
                int t;
                try {
                    t = Integer.parseInt(value.trim());
                } catch (NumberFormatException e) {
                    t = 0;
                }
                if (t < 1) {
                    throw new IllegalArgumentException("--threads: '" + value.trim() + "' is not a whole number >= 1");
                }
                threads.add(t);
            }
            if (threads.isEmpty()) {
                throw new IllegalArgumentException("--threads needs at least one thread count");
            }
            return threads.stream().sorted().toList();
        }
    }
}
