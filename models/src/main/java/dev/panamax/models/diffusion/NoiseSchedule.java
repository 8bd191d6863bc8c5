package dev.panamax.models.diffusion;

import java.util.Locale;

/**
 * The forward (noising) process of DDPM: a variance schedule β_1 … β_T, and from it ᾱ_t = Π_{s ≤ t} (1 − β_s), so
 * that a noisy image at any step comes in closed form from the clean one:
 *
 * <pre>
 *   q(x_t | x_0) = N(√ᾱ_t · x_0, (1 − ᾱ_t) · I)      x_t = √ᾱ_t · x_0 + √(1 − ᾱ_t) · ε,  ε ~ N(0, I)
 * </pre>
 *
 * Steps are numbered 0 … T−1 here (step t is the paper's t + 1): step 0 adds the least noise, step T−1 leaves
 * almost pure noise. The network learns to predict ε from x_t (ε-prediction, trained with an MSE loss).
 *
 * <p>Two schedules: {@link #linear} (Ho et al. 2020: β from 1e-4 to 0.02 over T = 1000) and {@link #cosine}
 * (Nichol &amp; Dhariwal 2021: ᾱ_t = f(t)/f(0), f(t) = cos²((t/T + s)/(1 + s) · π/2), s = 0.008, β ≤ 0.999), which
 * destroys information more evenly over the steps. Values are kept in double.
 */
public final class NoiseSchedule {

    /** The schedules by name, as a checkpoint's config records them. */
    public enum Kind { LINEAR, COSINE }

    private final Kind kind;
    private final double[] beta;
    private final double[] alphaBar;

    private NoiseSchedule(Kind kind, double[] beta) {
        this.kind = kind;
        this.beta = beta;
        this.alphaBar = new double[beta.length];
        double product = 1;
        for (int t = 0; t < beta.length; t++) {
            product *= 1 - beta[t];
            alphaBar[t] = product;
        }
    }

    /** Ho et al.'s schedule: β from 1e-4 to 0.02, evenly spaced over {@code timesteps} steps. */
    public static NoiseSchedule linear(int timesteps) {
        return linear(timesteps, 1e-4, 0.02);
    }

    /** β evenly spaced from {@code betaStart} to {@code betaEnd}. */
    public static NoiseSchedule linear(int timesteps, double betaStart, double betaEnd) {
        requireTimesteps(timesteps);
        if (!(betaStart > 0 && betaStart <= betaEnd && betaEnd < 1)) {
            throw new IllegalArgumentException("NoiseSchedule.linear: need 0 < betaStart <= betaEnd < 1, got "
                    + betaStart + " and " + betaEnd);
        }
        double[] beta = new double[timesteps];
        for (int t = 0; t < timesteps; t++) {
            beta[t] = timesteps == 1 ? betaStart : betaStart + (betaEnd - betaStart) * t / (timesteps - 1);
        }
        return new NoiseSchedule(Kind.LINEAR, beta);
    }

    /** Nichol &amp; Dhariwal's cosine schedule (offset s = 0.008, β clipped at 0.999). */
    public static NoiseSchedule cosine(int timesteps) {
        requireTimesteps(timesteps);
        double s = 0.008;
        double f0 = cosineF(0, timesteps, s);
        double[] beta = new double[timesteps];
        for (int t = 0; t < timesteps; t++) {
            double previous = cosineF(t, timesteps, s) / f0;
            double current = cosineF(t + 1, timesteps, s) / f0;
            beta[t] = Math.min(1 - current / previous, 0.999);
        }
        return new NoiseSchedule(Kind.COSINE, beta);
    }

    private static double cosineF(int t, int timesteps, double s) {
        double c = Math.cos(((double) t / timesteps + s) / (1 + s) * Math.PI / 2);
        return c * c;
    }

    /** A schedule by name ("linear" or "cosine"), as the CLI and checkpoints spell it. */
    public static NoiseSchedule of(String name, int timesteps) {
        if (name == null) {
            throw new IllegalArgumentException("NoiseSchedule: the schedule name is null; use linear or cosine");
        }
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "linear" -> linear(timesteps);
            case "cosine" -> cosine(timesteps);
            default -> throw new IllegalArgumentException("NoiseSchedule: unknown schedule '" + name
                    + "'; use linear or cosine");
        };
    }

    private static void requireTimesteps(int timesteps) {
        if (timesteps < 1) {
            throw new IllegalArgumentException("NoiseSchedule: timesteps must be >= 1, got " + timesteps);
        }
    }

    /** "linear" or "cosine". */
    public String name() {
        return kind.name().toLowerCase(Locale.ROOT);
    }

    /** T, the number of steps. */
    public int timesteps() {
        return beta.length;
    }

    public double beta(int t) {
        return beta[check(t)];
    }

    /** ᾱ_t = Π_{s ≤ t} (1 − β_s); ᾱ at step −1 (before any noise) is 1. */
    public double alphaBar(int t) {
        return t == -1 ? 1.0 : alphaBar[check(t)];
    }

    private int check(int t) {
        if (t < 0 || t >= beta.length) {
            throw new IllegalArgumentException("NoiseSchedule: step " + t + " is outside [0, " + beta.length + ")");
        }
        return t;
    }

    /**
     * Draws x_t ~ q(x_t | x_0) for a batch: {@code xt[i] = √ᾱ_{t_b} · x0[i] + √(1 − ᾱ_{t_b}) · noise[i]}, where
     * image b of {@code t.length} images owns {@code x0.length / t.length} consecutive values.
     */
    public void addNoise(float[] x0, float[] noise, int[] t, float[] xt) {
        if (t.length == 0 || x0.length % t.length != 0 || noise.length != x0.length || xt.length != x0.length) {
            throw new IllegalArgumentException("NoiseSchedule.addNoise: x0 (" + x0.length + "), noise ("
                    + noise.length + ") and xt (" + xt.length + ") must have the same length, a multiple of the "
                    + t.length + " steps");
        }
        int perImage = x0.length / t.length;
        for (int b = 0; b < t.length; b++) {
            float signal = (float) Math.sqrt(alphaBar(t[b]));
            float spread = (float) Math.sqrt(1 - alphaBar(t[b]));
            for (int i = b * perImage; i < (b + 1) * perImage; i++) {
                xt[i] = signal * x0[i] + spread * noise[i];
            }
        }
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s schedule, T = %d, beta %.2e .. %.2e, alpha_bar(T-1) = %.2e", name(),
                timesteps(), beta[0], beta[beta.length - 1], alphaBar[alphaBar.length - 1]);
    }
}
