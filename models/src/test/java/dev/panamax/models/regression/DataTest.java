package dev.panamax.models.regression;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CSV loader and the dataset built from it: good input, and bad input that names the line and the column. */
class DataTest {

    @TempDir
    Path dir;

    private static final String GOOD = "\uFEFF" + """
            species,cp_before, hp ,note,cp_after
            Pidgey,10,15,"a, quoted ""note""\",18

            Eevee,100.5,40,x,290
            Pidgey,1e2,-3,y,180
            Weedle,20,20,z,21
            """;

    @Test
    void readsNumbersQuotesOneHotColumnsAndLineNumbers() {
        CsvTable table = CsvTable.parse(GOOD, "good.csv");
        assertEquals(List.of("species", "cp_before", "hp", "note", "cp_after"), table.header());
        assertEquals(4, table.rowCount());
        assertEquals("a, quoted \"note\"", table.cell(0, 3));
        assertEquals(4, table.line(1), "the blank line still counts");
        Dataset data = Dataset.forRegression(table, "cp_after", List.of("cp_before", "species", "hp"),
                List.of("species"));
        assertEquals(List.of("cp_before", "species=Pidgey", "species=Weedle", "hp"), data.featureNames());
        assertArrayEquals(new double[] {100.5, 0, 0, 40}, data.x()[1]);
        assertArrayEquals(new double[] {100, 1, 0, -3}, data.x()[2]);
        assertArrayEquals(new double[] {18, 290, 180, 21}, data.y());
    }

    @Test
    void classLabelsAreSortedAndNumericLabelsSortByValue() {
        Dataset named = Dataset.forClassification(CsvTable.parse(GOOD, "good.csv"), "species",
                List.of("cp_before"), null);
        assertEquals(List.of("Eevee", "Pidgey", "Weedle"), named.classLabels());
        assertArrayEquals(new int[] {1, 0, 1, 2}, named.classes());
        Dataset numeric = Dataset.forClassification(CsvTable.parse("a,c\n1,10\n2,9\n3,10\n4,2\n", "n.csv"), "c",
                null, null);
        assertEquals(List.of("2", "9", "10"), numeric.classLabels());
        assertArrayEquals(new int[] {2, 1, 2, 0}, numeric.classes());
        assertThrows(IllegalStateException.class, numeric::y);
    }

    @Test
    void readsAFileAndNamesAMissingOne() throws Exception {
        Path file = dir.resolve("data.csv");
        Files.writeString(file, "x,y\r\n1,2\r\n3,4\r\n");
        assertEquals(2, CsvTable.read(file).rowCount());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CsvTable.read(dir.resolve("nope.csv")));
        assertTrue(e.getMessage().contains("nope.csv") && e.getMessage().contains("no such file"), e.getMessage());
    }

    @Test
    void badFilesAreRejectedWithTheirLineAndColumn() {
        assertMessage(() -> CsvTable.parse("", "empty.csv"), "empty.csv is empty");
        assertMessage(() -> CsvTable.parse("\n  \n", "blank.csv"), "blank.csv is empty");
        assertMessage(() -> CsvTable.parse("a,b\n", "header.csv"), "no data rows");
        assertMessage(() -> CsvTable.parse("a,b\n1,2\n3\n", "f.csv"), "f.csv line 3: 1 field, but the header has 2");
        assertMessage(() -> CsvTable.parse("a,a\n1,2\n", "f.csv"), "'a' appears twice");
        assertMessage(() -> CsvTable.parse("a,,c\n1,2,3\n", "f.csv"), "header column 2 has no name");
        assertMessage(() -> CsvTable.parse("a,b\n\"1,2\n", "f.csv"), "line 2: a quoted field is not closed");
    }

    @Test
    void badValuesNameTheFileLineAndColumn() {
        String csv = "x,y,kind\n1,2,a\n3,oops,b\n";
        assertMessage(() -> regression(csv, "y"), "f.csv line 3, column 'y': 'oops' is not a number");
        assertMessage(() -> regression("x,y\n1,2\n3,NaN\n", "y"), "line 3, column 'y': 'NaN' is not a finite number");
        assertMessage(() -> regression("x,y\n1,2\n-inf,3\n", "y"), "line 3, column 'x': '-inf' is not a finite");
        assertMessage(() -> regression("x,y\n1,2\n,3\n", "y"), "line 3, column 'x': empty value");
        assertMessage(() -> regression("x,y\n1,2\n1e999,3\n", "y"), "line 3, column 'x': '1e999' is out of range");
        assertMessage(() -> regression("x,y\n1,2\n0x1p3,3\n", "y"), "'0x1p3' is not a number");
        assertMessage(() -> regression(csv, "kind"), "f.csv line 2, column 'kind': 'a' is not a number");
        assertMessage(() -> regression(csv, "z"), "column 'z' not found in f.csv; its columns are: x, y, kind");
        assertMessage(() -> Dataset.forRegression(CsvTable.parse(csv, "f.csv"), "x", List.of("y", "x"), null),
                "'x' is the target");
        assertMessage(() -> Dataset.forRegression(CsvTable.parse("x,y,k\n1,2,a\n", "f.csv"), "y", List.of("x"),
                List.of("k")), "one-hot column 'k' is not among the features");
        assertMessage(() -> Dataset.forClassification(CsvTable.parse("x,c\n1,a\n2,a\n", "f.csv"), "c", null, null),
                "only one class");
    }

    private static Dataset regression(String csv, String target) {
        return Dataset.forRegression(CsvTable.parse(csv, "f.csv"), target, null, null);
    }

    private static void assertMessage(org.junit.jupiter.api.function.Executable call, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(expected), () -> "expected '" + expected + "' in: " + e.getMessage());
    }

    @Test
    void theEmbeddedDataIsDeterministicAndHasTheDocumentedShape() {
        assertEquals(DemoData.pokemonCpCsv(), DemoData.pokemonCpCsv());
        Dataset cp = Dataset.forRegression(DemoData.pokemonCp(), "cp_after", null, List.of("species"));
        assertEquals(DemoData.POKEMON_CP_ROWS, cp.rows());
        assertEquals(List.of("species=Eevee", "species=Pidgey", "species=Weedle", "cp_before", "hp", "weight",
                "height"), cp.featureNames());
        // Species-dependent slopes: a per-species model explains CP after far better than CP alone.
        double cpOnly = new LinearRegression().fit(column(cp.x(), 3), cp.y()).score(column(cp.x(), 3), cp.y());
        RegressionPipeline bySpecies = new RegressionPipeline(new LinearRegression(), new PolynomialFeatures(2));
        double[][] cpAndSpecies = Dataset.forRegression(DemoData.pokemonCp(), "cp_after",
                List.of("cp_before", "species"), List.of("species")).x();
        double withSpecies = bySpecies.fit(cpAndSpecies, cp.y()).score(cpAndSpecies, cp.y());
        assertTrue(withSpecies > 0.98 && cpOnly < 0.92, "R² " + withSpecies + " vs " + cpOnly);
        Dataset types = Dataset.forClassification(DemoData.pokemonTypes(), "type", null, null);
        assertEquals(List.of("normal", "water"), types.classLabels());
        assertEquals(6, types.featureNames().size());
        assertEquals(DemoData.POKEMON_TYPES_ROWS, types.rows());
    }

    private static double[][] column(double[][] x, int j) {
        double[][] out = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            out[i] = new double[] {x[i][j]};
        }
        return out;
    }
}
