package dev.panamax.models.regression;

/**
 * An iterative solver's loss became infinite, NaN, or grew far above where it started: the learning rate is too
 * large for this data. Thrown instead of returning NaN coefficients; the message names the parameter to change.
 */
public final class DivergenceException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    public DivergenceException(String message) {
        super(message);
    }
}
