package dev.panamax.models.cli;

import dev.panamax.models.regression.CsvTable;
import dev.panamax.models.regression.TrainTestSplit;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;
import picocli.CommandLine.Option;

/**
 * The options regress and classify share (a picocli mixin): where the data comes from, the target and features,
 * the seeded hold-out split, and where the results go. Without {@code --csv} a command uses its embedded data,
 * with that data's target and features as defaults.
 */
final class DataOptions {

    @Option(names = "--csv", paramLabel = "FILE", description = "CSV file with a header row (default: embedded data).")
    Path csv;

    @Option(names = "--target", paramLabel = "COLUMN",
            description = "The column to predict (required with --csv).")
    String target;

    @Option(names = "--features", split = ",", paramLabel = "COLUMN",
            description = "Feature columns (default with --csv: every column but the target).")
    List<String> features;

    @Option(names = "--one-hot", split = ",", paramLabel = "COLUMN",
            description = "Categorical feature columns to one-hot encode (e.g. species).")
    List<String> oneHot;

    @Option(names = "--test-fraction", defaultValue = "0.25",
            description = "Fraction of rows held out for testing, 0 = fit on all (default: ${DEFAULT-VALUE}).")
    double testFraction;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of the split (and of SGD) (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--json", description = "Print one JSON object instead of the report.")
    boolean json;

    @Option(names = "--out", paramLabel = "DIR", description = "Directory for the PNG charts (default: runs/<command>).")
    Path out;

    @Option(names = "--no-plots", description = "Do not write PNG charts.")
    boolean noPlots;

    @Option(names = "--write-demo-csv", paramLabel = "FILE", description = "Write the embedded data to FILE and exit.")
    Path writeDemoCsv;

    /** The CSV file when given, else the embedded data. */
    CsvTable table(Supplier<CsvTable> embedded) {
        return csv == null ? embedded.get() : CsvTable.read(csv);
    }

    /** The target column: the option when given, else the embedded data's, else an error listing the columns. */
    String target(String embeddedTarget, CsvTable table) {
        if (target != null) {
            return target;
        }
        if (csv == null) {
            return embeddedTarget;
        }
        throw new IllegalArgumentException("--target is required with --csv; the columns of " + csv + " are: "
                + String.join(", ", table.header()));
    }

    /** The feature columns: the option, else the embedded data's, else null (every column but the target). */
    List<String> features(List<String> embeddedFeatures) {
        return features != null ? features : csv == null ? embeddedFeatures : null;
    }

    /** The seeded hold-out split, with the option named in its errors. */
    TrainTestSplit split(int rows) {
        if (!(testFraction >= 0 && testFraction < 1)) {
            throw new IllegalArgumentException("--test-fraction must be in [0, 1) (0 fits on every row), got "
                    + testFraction);
        }
        if (rows < 2) {
            throw new IllegalArgumentException("the data has " + rows + " row; fitting needs at least 2 rows");
        }
        try {
            return TrainTestSplit.of(rows, testFraction, seed);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--test-fraction " + testFraction + " of " + rows + " rows leaves "
                    + "fewer than 2 for training; lower it (0 fits on every row)", e);
        }
    }

    /** The chart directory: --out, else {@code runs/<command>}. */
    Path out(String command) {
        return out != null ? out : Path.of("runs", command);
    }
}
