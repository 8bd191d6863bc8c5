package dev.panamax.models.regression;

/**
 * An estimator of a class, in the spirit of scikit-learn. Classes are indices {@code 0 .. K-1}; the data layer
 * ({@link Dataset}) maps them to and from the label strings.
 */
public interface Classifier {

    /** Fits on rows {@code x} and class indices {@code y} (every class 0..K-1 present); returns this. */
    Classifier fit(double[][] x, int[] y);

    /** Number of classes K seen by {@link #fit}. */
    int classCount();

    /** Posterior probabilities, one row per sample, K columns summing to 1. */
    double[][] predictProba(double[][] x);

    /** The most probable class of each row. */
    default int[] predict(double[][] x) {
        return Metrics.argmax(predictProba(x));
    }

    /** Accuracy on {@code x} against {@code y}. */
    default double score(double[][] x, int[] y) {
        return Metrics.accuracy(y, predict(x));
    }
}
