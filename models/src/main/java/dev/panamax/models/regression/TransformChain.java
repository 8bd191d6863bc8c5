package dev.panamax.models.regression;

import java.util.List;

/** Transforms applied in order, each fitted on the previous one's output: the front of a pipeline. */
final class TransformChain implements FeatureTransform {

    private final List<FeatureTransform> steps;

    TransformChain(List<FeatureTransform> steps) {
        this.steps = List.copyOf(steps);
    }

    @Override
    public TransformChain fit(double[][] x) {
        fitTransform(x);
        return this;
    }

    @Override
    public double[][] fitTransform(double[][] x) {
        double[][] out = x;
        for (FeatureTransform step : steps) {
            out = step.fitTransform(out);
        }
        return out;
    }

    @Override
    public double[][] transform(double[][] x) {
        double[][] out = x;
        for (FeatureTransform step : steps) {
            out = step.transform(out);
        }
        return out;
    }

    @Override
    public List<String> outputNames(List<String> inputNames) {
        List<String> names = inputNames;
        for (FeatureTransform step : steps) {
            names = step.outputNames(names);
        }
        return names;
    }
}
