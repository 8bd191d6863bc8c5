package dev.panamax.models.regression;

import java.util.List;

/** A learned map from feature rows to new feature rows (scaling, polynomial expansion), as in a pipeline. */
public interface FeatureTransform {

    /** Learns what the transform needs from the training rows (means, ...); returns this. */
    FeatureTransform fit(double[][] x);

    /** New rows; the input is not modified. */
    double[][] transform(double[][] x);

    default double[][] fitTransform(double[][] x) {
        return fit(x).transform(x);
    }

    /** The output columns' names, given the input columns' names. */
    List<String> outputNames(List<String> inputNames);
}
