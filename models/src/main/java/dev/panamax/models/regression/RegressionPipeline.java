package dev.panamax.models.regression;

import java.util.List;

/**
 * Feature transforms followed by a regressor, fitted and applied as one model: the course's polynomial models are
 * {@code new RegressionPipeline(new LinearRegression(), new StandardScaler(), new PolynomialFeatures(3))}. The
 * transforms learn only from the rows given to {@link #fit}, so a held-out set never leaks into them.
 */
public final class RegressionPipeline implements Regressor {

    private final TransformChain transforms;
    private List<String> inputNames;
    private final Regressor model;

    public RegressionPipeline(Regressor model, FeatureTransform... transforms) {
        this.transforms = new TransformChain(List.of(transforms));
        this.model = model;
    }

    /** Names of the input columns; the model then names the transformed columns in its warnings. */
    public RegressionPipeline inputNames(List<String> names) {
        this.inputNames = names == null ? null : List.copyOf(names);
        return this;
    }

    @Override
    public RegressionPipeline fit(double[][] x, double[] y) {
        double[][] features = transforms.fitTransform(x);
        if (inputNames != null && model instanceof FeatureNamed named) {
            named.featureNames(transforms.outputNames(inputNames));
        }
        model.fit(features, y);
        return this;
    }

    @Override
    public double[] predict(double[][] x) {
        return model.predict(transforms.transform(x));
    }

    /** The rows the model sees, after the fitted transforms. */
    public double[][] transform(double[][] x) {
        return transforms.transform(x);
    }

    /** The names of the columns the model sees, given the input feature names. */
    public List<String> featureNames(List<String> inputNames) {
        return transforms.outputNames(inputNames);
    }

    public Regressor model() {
        return model;
    }
}
