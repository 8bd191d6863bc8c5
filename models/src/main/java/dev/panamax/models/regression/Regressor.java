package dev.panamax.models.regression;

/** An estimator of a real-valued target, in the spirit of scikit-learn: configure, fit, predict, score. */
public interface Regressor {

    /** Fits on rows {@code x} (one array per sample, all the same length) and targets {@code y}; returns this. */
    Regressor fit(double[][] x, double[] y);

    /** Predictions for rows with the columns the model was fitted on. */
    double[] predict(double[][] x);

    /** R² of the predictions on {@code x} against {@code y} (1 is perfect, 0 is predicting the mean). */
    default double score(double[][] x, double[] y) {
        return Metrics.r2(y, predict(x));
    }
}
