package dev.panamax.models.regression;

import java.util.List;

/**
 * An estimator that can name its input columns in messages and warnings ("feature 'hp' is constant" rather than
 * "feature 3"). A pipeline passes the names its transforms produce.
 */
public interface FeatureNamed {

    FeatureNamed featureNames(List<String> names);
}
