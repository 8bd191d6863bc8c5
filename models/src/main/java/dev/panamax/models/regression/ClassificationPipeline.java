package dev.panamax.models.regression;

import java.util.List;

/** Feature transforms followed by a classifier, fitted and applied as one model (see {@link RegressionPipeline}). */
public final class ClassificationPipeline implements Classifier {

    private final TransformChain transforms;
    private List<String> inputNames;
    private final Classifier model;

    public ClassificationPipeline(Classifier model, FeatureTransform... transforms) {
        this.transforms = new TransformChain(List.of(transforms));
        this.model = model;
    }

    /** Names of the input columns; the model then names the transformed columns in its warnings. */
    public ClassificationPipeline inputNames(List<String> names) {
        this.inputNames = names == null ? null : List.copyOf(names);
        return this;
    }

    @Override
    public ClassificationPipeline fit(double[][] x, int[] y) {
        double[][] features = transforms.fitTransform(x);
        if (inputNames != null && model instanceof FeatureNamed named) {
            named.featureNames(transforms.outputNames(inputNames));
        }
        model.fit(features, y);
        return this;
    }

    @Override
    public int classCount() {
        return model.classCount();
    }

    @Override
    public double[][] predictProba(double[][] x) {
        return model.predictProba(transforms.transform(x));
    }

    public List<String> featureNames(List<String> inputNames) {
        return transforms.outputNames(inputNames);
    }

    public Classifier model() {
        return model;
    }
}
