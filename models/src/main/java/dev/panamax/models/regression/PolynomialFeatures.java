package dev.panamax.models.regression;

import java.util.ArrayList;
import java.util.List;

/**
 * Every monomial of the features up to total degree D (without the constant, which the model's intercept provides):
 * for one feature x and D = 3, the columns x, x², x³, which turn linear regression into the course's polynomial
 * models. With several features the products are included too (x₀x₁, ...), in scikit-learn's order (by degree,
 * then lexicographic); {@link #PolynomialFeatures(int, boolean)} with {@code interactions = false} keeps only the
 * powers of single features.
 */
public final class PolynomialFeatures implements FeatureTransform {

    /** More output columns than this is an error rather than an accidental out-of-memory. */
    public static final int MAX_OUTPUTS = 100_000;

    private final int degree;
    private final boolean interactions;
    private int inputs = -1;
    private List<int[]> terms;       // each term: the input index of each factor, non-decreasing

    public PolynomialFeatures(int degree) {
        this(degree, true);
    }

    public PolynomialFeatures(int degree, boolean interactions) {
        if (degree < 1) {
            throw new IllegalArgumentException("PolynomialFeatures: degree must be >= 1, got " + degree);
        }
        this.degree = degree;
        this.interactions = interactions;
    }

    public int degree() {
        return degree;
    }

    @Override
    public PolynomialFeatures fit(double[][] x) {
        inputs = Checks.matrix("PolynomialFeatures.fit", x, null);
        terms = new ArrayList<>();
        for (int p = 1; p <= degree; p++) {
            if (interactions) {
                addCombinations(new int[p], 0, 0, inputs);
            } else {
                for (int j = 0; j < inputs; j++) {
                    int[] term = new int[p];
                    java.util.Arrays.fill(term, j);
                    terms.add(term);
                }
            }
        }
        return this;
    }

    private void addCombinations(int[] term, int position, int from, int n) {
        if (position == term.length) {
            if (terms.size() >= MAX_OUTPUTS) {
                throw new IllegalArgumentException("PolynomialFeatures: degree " + degree + " of " + n
                        + " features makes more than " + MAX_OUTPUTS + " columns; lower the degree or the features");
            }
            terms.add(term.clone());
            return;
        }
        for (int j = from; j < n; j++) {
            term[position] = j;
            addCombinations(term, position + 1, j, n);
        }
    }

    @Override
    public double[][] transform(double[][] x) {
        if (terms == null) {
            throw new IllegalStateException("PolynomialFeatures: call fit before transform");
        }
        Checks.columns("PolynomialFeatures.transform", x, inputs, null);
        double[][] out = new double[x.length][terms.size()];
        for (int i = 0; i < x.length; i++) {
            for (int t = 0; t < terms.size(); t++) {
                double v = 1;
                for (int j : terms.get(t)) {
                    v *= x[i][j];
                }
                out[i][t] = v;
            }
        }
        return out;
    }

    /** Names such as {@code cp}, {@code cp^2}, {@code cp hp}. */
    @Override
    public List<String> outputNames(List<String> inputNames) {
        if (terms == null) {
            throw new IllegalStateException("PolynomialFeatures: call fit before outputNames");
        }
        List<String> names = new ArrayList<>();
        for (int[] term : terms) {
            StringBuilder s = new StringBuilder();
            int i = 0;
            while (i < term.length) {
                int j = i;
                while (j < term.length && term[j] == term[i]) {
                    j++;
                }
                if (!s.isEmpty()) {
                    s.append(' ');
                }
                s.append(inputNames.get(term[i]));
                if (j - i > 1) {
                    s.append('^').append(j - i);
                }
                i = j;
            }
            names.add(s.toString());
        }
        return names;
    }
}
