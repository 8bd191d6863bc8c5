package dev.panamax.models.gpt;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from the logits, the 文字接龙 step: divide by the temperature, keep the {@code topK} most
 * likely tokens (0: all), then the smallest set of those whose probability adds up to {@code topP} (nucleus
 * sampling; 1: all), renormalise and draw. The draws come from one seeded generator, so the same seed gives the
 * same text.
 *
 * <p>Probabilities are computed in double. The scratch arrays are sized once for the vocabulary, so sampling a
 * token allocates nothing.
 */
public final class Sampler {

    private final float temperature;
    private final int topK;
    private final float topP;
    private final SplittableRandom random;
    private double[] probabilities = new double[0];
    private long[] order = new long[0];

    /**
     * @param temperature &gt; 0: below 1 sharpens the distribution, above 1 flattens it
     * @param topK        keep only the k most likely tokens; 0 keeps all
     * @param topP        in (0, 1]: keep the most likely tokens up to this total probability
     * @param seed        the draws' seed
     */
    public Sampler(float temperature, int topK, float topP, long seed) {
        if (!(temperature > 0) || Float.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a number > 0, got " + temperature
                    + " (for the most likely token every time, use a small temperature such as 0.01 or --top-k 1)");
        }
        if (topK < 0) {
            throw new IllegalArgumentException("top-k must be >= 0 (0 keeps every token), got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("top-p must be in (0, 1] (1 keeps every token), got " + topP);
        }
        this.temperature = temperature;
        this.topK = topK;
        this.topP = topP;
        this.random = new SplittableRandom(seed);
    }

    /** Draws a token id from {@code logits[0, n)}. */
    public int sample(float[] logits, int n) {
        if (n < 1 || n > logits.length) {
            throw new IllegalArgumentException("Sampler.sample: " + n + " logits requested from an array of "
                    + logits.length);
        }
        if (probabilities.length < n) {
            probabilities = new double[n];
            order = new long[n];
        }
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, logits[i]);
        }
        if (!Double.isFinite(max)) {
            throw new IllegalStateException("Sampler.sample: the logits are not finite (max " + max
                    + "); the model's weights may be corrupted");
        }
        double total = 0;
        for (int i = 0; i < n; i++) {
            probabilities[i] = Math.exp((logits[i] - max) / temperature);
            total += probabilities[i];
        }
        int keep = topK == 0 ? n : Math.min(topK, n);
        if (keep == n && topP >= 1f) {
            return draw(total, n);
        }
        // Sort by probability, most likely last. A key holds the probability's top 33 bits (a non-negative
        // double orders like its bits; 21 mantissa bits rank to 1 part in 2 million) above the 31-bit id, so one
        // primitive sort ranks them without boxing.
        for (int i = 0; i < n; i++) {
            long rank = Double.doubleToRawLongBits(probabilities[i]) >>> 31;
            order[i] = rank << 31 | i;
        }
        Arrays.sort(order, 0, n);
        double kept = 0;
        for (int r = 0; r < keep; r++) {
            kept += probabilities[(int) (order[n - 1 - r] & 0x7FFFFFFFL)];
        }
        int nucleus = 0;
        double cumulative = 0;
        while (nucleus < keep) {
            cumulative += probabilities[(int) (order[n - 1 - nucleus] & 0x7FFFFFFFL)];
            nucleus++;
            if (cumulative >= topP * kept) {
                break;
            }
        }
        double u = random.nextDouble() * cumulative;
        double running = 0;
        for (int r = 0; r < nucleus; r++) {
            int id = (int) (order[n - 1 - r] & 0x7FFFFFFFL);
            running += probabilities[id];
            if (u < running) {
                return id;
            }
        }
        return (int) (order[n - nucleus] & 0x7FFFFFFFL);
    }

    private int draw(double total, int n) {
        double u = random.nextDouble() * total;
        double running = 0;
        for (int i = 0; i < n; i++) {
            running += probabilities[i];
            if (u < running) {
                return i;
            }
        }
        for (int i = n - 1; i >= 0; i--) {      // rounding left u at the very top: the last non-zero one
            if (probabilities[i] > 0) {
                return i;
            }
        }
        return n - 1;
    }
}
