package dev.panamax.models.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panamax.models.regression.Dataset;
import dev.panamax.models.regression.DemoData;
import dev.panamax.models.regression.GaussianGenerativeClassifier;
import dev.panamax.models.regression.TrainTestSplit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClassifyCommandTest {

    @TempDir
    Path dir;

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        return (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    private static List<List<Double>> matrix(Object o) {
        return (List<List<Double>>) o;
    }

    @Test
    void logisticJsonHasAccuracyLogLossConfusionMatrixAndLabels() {
        Map<String, Object> json = Cli.run("classify", "--json", "--out", dir.toString()).json();
        assertEquals(List.of("normal", "water"), json.get("classes"));
        assertEquals("water", json.get("probability_of"));
        assertEquals(List.of("defense", "sp_defense"), List.copyOf(map(json.get("coefficients")).keySet()));
        for (String part : List.of("train", "test")) {
            Map<String, Object> m = map(json.get(part));
            double accuracy = (Double) m.get("accuracy");
            List<List<Double>> confusion = matrix(m.get("confusion_matrix"));
            double total = 0;
            double diagonal = 0;
            for (int i = 0; i < 2; i++) {
                for (int j = 0; j < 2; j++) {
                    total += confusion.get(i).get(j);
                    diagonal += i == j ? confusion.get(i).get(j) : 0;
                }
            }
            assertEquals(map(json.get("rows")).get(part), total);
            assertEquals(diagonal / total, accuracy, 1e-12);
            assertTrue(accuracy > 0.55, part + " accuracy " + accuracy);
            assertTrue((Double) m.get("log_loss") < Math.log(2), "better than a coin");
        }
        assertTrue((Double) json.get("iterations") > 0);
        assertTrue(Files.exists(dir.resolve("boundary.png")) && Files.exists(dir.resolve("loss.png")));
    }

    @Test
    void theGaussianModelReportsItsEquivalentLinearFormAndPriors() {
        Map<String, Object> json = Cli.run("classify", "--model", "gaussian", "--json", "--no-plots").json();
        Dataset data = Dataset.forClassification(DemoData.pokemonTypes(), "type", List.of("defense", "sp_defense"),
                null);
        TrainTestSplit split = TrainTestSplit.of(data.rows(), 0.25, 42);
        GaussianGenerativeClassifier model = new GaussianGenerativeClassifier().fit(
                TrainTestSplit.rows(data.x(), split.train()), TrainTestSplit.values(data.classes(), split.train()));
        double[][] w = model.linearWeights();
        double[] b = model.linearIntercepts();
        assertEquals(w[1][0] - w[0][0], (Double) map(json.get("coefficients")).get("defense"), 1e-12);
        assertEquals(b[1] - b[0], (Double) json.get("intercept"), 1e-12);
        assertEquals(model.priors()[1], (Double) map(json.get("priors")).get("water"), 1e-15);
        assertEquals(0.0, json.get("iterations"));

        Map<String, Object> bayes = Cli.run("classify", "--model", "naive-bayes", "--json", "--no-plots").json();
        assertNull(bayes.get("coefficients"));
        assertTrue(map(map(bayes.get("means")).get("water")).containsKey("sp_defense"));
        Map<String, Object> perClass = Cli.run("classify", "--model", "gaussian", "--covariance", "per-class",
                "--features", "hp,attack,defense,sp_attack,sp_defense,speed", "--json", "--no-plots").json();
        assertNull(perClass.get("coefficients"));
        assertEquals(6, ((List<?>) perClass.get("features")).size());
    }

    @Test
    void threeClassesGiveOneCoefficientMapPerClass() throws Exception {
        StringBuilder csv = new StringBuilder("x,y,label\n");
        java.util.SplittableRandom random = new java.util.SplittableRandom(5);
        for (int i = 0; i < 90; i++) {
            int k = i % 3;
            csv.append(3 * k + random.nextGaussian()).append(',').append(k % 2 + random.nextGaussian()).append(',')
                    .append(new String[] {"low", "mid", "high"}[k]).append('\n');
        }
        Path file = dir.resolve("three.csv");
        Files.writeString(file, csv);
        Map<String, Object> json = Cli.run("classify", "--csv", file.toString(), "--target", "label", "--lambda", "0.1",
                "--json", "--out", dir.toString()).json();
        assertEquals(List.of("high", "low", "mid"), json.get("classes"));
        assertEquals(List.of("high", "low", "mid"), List.copyOf(map(json.get("coefficients")).keySet()));
        assertEquals(3, matrix(map(json.get("test")).get("confusion_matrix")).size());
        assertTrue((Double) map(json.get("train")).get("accuracy") > 0.8);
    }

    @Test
    void theHumanReportAndTheErrors() throws Exception {
        Cli run = Cli.run("classify", "--no-plots");
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.out().contains("P(water | x) = σ(") && run.out().contains("confusion matrix"), run.out());
        Path csv = dir.resolve("one-class.csv");
        Files.writeString(csv, "a,t\n1,x\n2,x\n3,x\n");
        Cli oneClass = Cli.run("classify", "--csv", csv.toString(), "--target", "t");
        assertEquals(2, oneClass.exit());
        assertTrue(oneClass.err().contains("only one class"), oneClass.err());
        Cli model = Cli.run("classify", "--model", "svm");
        assertEquals(2, model.exit());
        assertTrue(model.err().contains("--model 'svm'"), model.err());
        Path wrote = dir.resolve("types.csv");
        assertEquals(0, Cli.run("classify", "--write-demo-csv", wrote.toString()).exit());
        assertTrue(Files.readString(wrote).startsWith("type,hp,attack,defense,sp_attack,sp_defense,speed\n"));
    }
}
