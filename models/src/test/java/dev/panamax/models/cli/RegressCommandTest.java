package dev.panamax.models.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panamax.models.regression.Dataset;
import dev.panamax.models.regression.DemoData;
import dev.panamax.models.regression.LinearRegression;
import dev.panamax.models.regression.TrainTestSplit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RegressCommandTest {

    @TempDir
    Path dir;

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        return (Map<String, Object>) o;
    }

    private static double number(Object o) {
        return (Double) o;
    }

    @Test
    void jsonReportsTheFitOfTheEmbeddedDataOnTheSeededSplit() throws Exception {
        Map<String, Object> json = Cli.run("regress", "--json", "--out", dir.toString()).json();
        Dataset data = Dataset.forRegression(DemoData.pokemonCp(), "cp_after", List.of("cp_before"), null);
        TrainTestSplit split = TrainTestSplit.of(data.rows(), 0.25, 42);
        LinearRegression expected = new LinearRegression().standardize(true)
                .fit(TrainTestSplit.rows(data.x(), split.train()), TrainTestSplit.values(data.y(), split.train()));

        assertEquals(expected.intercept(), number(json.get("intercept")), 1e-9 * Math.abs(expected.intercept()));
        assertEquals(expected.coefficients()[0], number(map(json.get("coefficients")).get("cp_before")), 1e-12);
        assertEquals(List.of("cp_before"), json.get("features"));
        assertEquals(45.0, map(json.get("rows")).get("train"));
        assertEquals(15.0, map(json.get("rows")).get("test"));
        for (String part : List.of("train", "test")) {
            Map<String, Object> m = map(json.get(part));
            assertEquals(number(m.get("rmse")), Math.sqrt(number(m.get("mse"))), 1e-9);
            assertTrue(number(m.get("r2")) > 0.5 && number(m.get("r2")) <= 1, part + " " + m);
            assertTrue(m.containsKey("mae"));
        }
        assertTrue(json.containsKey("iterations") && json.containsKey("converged"));
        assertEquals(List.of(dir.resolve("fit.png").toString()), json.get("plots"));
        assertTrue(Files.size(dir.resolve("fit.png")) > 1000);
    }

    @Test
    void csvFeaturesAndOneHotColumnsAreNamedInTheCoefficients() throws Exception {
        StringBuilder csv = new StringBuilder("kind,x1,x2,y\n");
        String[] kinds = {"a", "b", "c"};
        for (int i = 0; i < 30; i++) {
            double x1 = i % 7;
            double x2 = (i * 13) % 11 - 5;
            int k = i % 3;
            csv.append(kinds[k]).append(',').append(x1).append(',').append(x2).append(',')
                    .append(10 + 2 * x1 - 0.5 * x2 + (k == 1 ? 3 : k == 2 ? -4 : 0)).append('\n');
        }
        Path file = dir.resolve("data.csv");
        Files.writeString(file, csv);
        Map<String, Object> json = Cli.run("regress", "--csv", file.toString(), "--target", "y", "--one-hot", "kind",
                "--test-fraction", "0", "--json", "--no-plots").json();
        Map<String, Object> w = map(json.get("coefficients"));
        assertEquals(List.of("kind=b", "kind=c", "x1", "x2"), List.copyOf(w.keySet()));
        assertEquals(3, number(w.get("kind=b")), 1e-8);
        assertEquals(-4, number(w.get("kind=c")), 1e-8);
        assertEquals(2, number(w.get("x1")), 1e-8);
        assertEquals(-0.5, number(w.get("x2")), 1e-8);
        assertEquals(10, number(json.get("intercept")), 1e-8);
        assertNull(json.get("test"), "--test-fraction 0 fits on every row");
        assertEquals(30.0, map(json.get("rows")).get("train"));
    }

    @Test
    void iterativeSolversReportIterationsAndDrawTheLossCurve() {
        Map<String, Object> json = Cli.run("regress", "--solver", "adagrad", "--json", "--out", dir.toString()).json();
        Map<String, Object> closed = Cli.run("regress", "--json", "--no-plots").json();
        assertTrue(number(json.get("iterations")) > 1);
        assertEquals(true, json.get("converged"));
        assertEquals(number(map(closed.get("coefficients")).get("cp_before")),
                number(map(json.get("coefficients")).get("cp_before")), 1e-3);
        assertEquals(number(map(json.get("train")).get("mse")), number(json.get("final_loss")),
                1e-5 * number(json.get("final_loss")));
        assertTrue(Files.exists(dir.resolve("loss.png")));
        assertEquals("Adagrad", map(json.get("model")).get("solver"));
    }

    @Test
    void theSweepShowsTrainErrorFallingWithDegreeAndWritesItsCharts() {
        Map<String, Object> json = Cli.run("regress", "--sweep", "--json", "--out", dir.toString()).json();
        @SuppressWarnings("unchecked")
        List<Object> cells = (List<Object>) json.get("sweep");
        assertEquals(25, cells.size());
        double previous = Double.POSITIVE_INFINITY;
        double bestTest = Double.POSITIVE_INFINITY;
        for (Object o : cells) {
            Map<String, Object> cell = map(o);
            double test = number(map(cell.get("test")).get("rmse"));
            bestTest = Math.min(bestTest, test);
            if (number(cell.get("lambda")) == 0) {
                // Nested least-squares models: a higher degree never fits the training rows worse.
                double train = number(map(cell.get("train")).get("rmse"));
                assertTrue(train <= previous + 1e-6, "degree " + cell.get("degree"));
                previous = train;
            }
        }
        assertEquals(bestTest, number(map(json.get("best")).get("test_rmse")));
        assertTrue(Files.exists(dir.resolve("sweep.png")) && Files.exists(dir.resolve("sweep-lambda.png")));
        Cli text = Cli.run("regress", "--sweep", "--no-plots");
        assertEquals(0, text.exit());
        assertTrue(text.out().contains("lowest test RMSE"), text.out());
    }

    @Test
    void theWrittenDemoCsvGivesTheSameFitAsTheEmbeddedData() {
        Path file = dir.resolve("demo/cp.csv");
        Cli write = Cli.run("regress", "--write-demo-csv", file.toString());
        assertEquals(0, write.exit(), write.err());
        assertTrue(write.out().contains("60 rows") && write.out().contains("synthetic"), write.out());
        Map<String, Object> fromFile = Cli.run("regress", "--csv", file.toString(), "--target", "cp_after",
                "--features", "cp_before", "--json", "--no-plots").json();
        Map<String, Object> embedded = Cli.run("regress", "--json", "--no-plots").json();
        assertEquals(embedded.get("coefficients"), fromFile.get("coefficients"));
        assertEquals(embedded.get("test"), fromFile.get("test"));
    }

    @Test
    void theHumanReportShowsTheEquationAndBothErrors() {
        Cli run = Cli.run("regress", "--no-plots");
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.out().contains("cp_after = ") && run.out().contains("· cp_before"), run.out());
        assertTrue(run.out().contains("RMSE") && run.out().contains("test"), run.out());
    }

    @Test
    void badInputGivesOneLineNamingTheColumnRowOrOption() throws Exception {
        Path csv = dir.resolve("bad.csv");
        Files.writeString(csv, "a,b\n1,2\n3,4\n5,NaN\n6,7\n");
        expectError(List.of("regress", "--csv", csv.toString(), "--target", "b"), "bad.csv line 4, column 'b'");
        expectError(List.of("regress", "--csv", csv.toString(), "--target", "c"), "column 'c' not found");
        expectError(List.of("regress", "--csv", csv.toString()), "--target is required with --csv");
        expectError(List.of("regress", "--csv", dir.resolve("none.csv").toString(), "--target", "b"), "no such file");
        Path empty = dir.resolve("empty.csv");
        Files.writeString(empty, "");
        expectError(List.of("regress", "--csv", empty.toString(), "--target", "b"), "empty.csv is empty");
        Path one = dir.resolve("one.csv");
        Files.writeString(one, "a,b\n1,2\n");
        expectError(List.of("regress", "--csv", one.toString(), "--target", "b", "--test-fraction", "0"),
                "at least 2 rows");
        expectError(List.of("regress", "--csv", one.toString(), "--target", "b"), "the data has 1 row");
        Path two = dir.resolve("two.csv");
        Files.writeString(two, "a,b\n1,2\n2,5\n");
        expectError(List.of("regress", "--csv", two.toString(), "--target", "b"), "--test-fraction 0.25 of 2 rows");
        expectError(List.of("regress", "--test-fraction", "1.5"), "--test-fraction must be in [0, 1)");
        expectError(List.of("regress", "--solver", "gd", "--no-standardize", "--no-plots"), "learning rate 0.1");
        expectError(List.of("regress", "--solver", "newton"), "solver 'newton'");
        expectError(List.of("regress", "--degree", "0"), "--degree");
        expectError(List.of("regress", "--sweep", "--test-fraction", "0"), "--sweep");
    }

    @Test
    void moreFeaturesThanRowsIsAWarningInTheReport() throws Exception {
        Path csv = dir.resolve("wide.csv");
        Files.writeString(csv, "a,b,c,d,y\n1,5,2,7,1\n2,3,9,1,2\n4,4,4,2,8\n");
        Map<String, Object> json = Cli.run("regress", "--csv", csv.toString(), "--target", "y", "--test-fraction",
                "0", "--json", "--no-plots").json();
        assertTrue(json.get("warnings").toString().contains("4 features but only 3 rows"), json.toString());
    }

    private static void expectError(List<String> args, String expected) {
        Cli run = Cli.run(args.toArray(String[]::new));
        assertEquals(2, run.exit(), () -> args + ": " + run.out() + run.err());
        assertTrue(run.err().contains(expected), () -> args + ": expected '" + expected + "' in " + run.err());
        assertTrue(run.err().strip().lines().count() == 1, () -> "one line: " + run.err());
    }
}
