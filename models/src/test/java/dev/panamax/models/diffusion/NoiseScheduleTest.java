package dev.panamax.models.diffusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The forward process: the schedules' values, and x_t's statistics against q(x_t | x_0). */
class NoiseScheduleTest {

    @Test
    void linearScheduleIsHoEtAls() {
        NoiseSchedule s = NoiseSchedule.linear(1000);
        assertEquals(1000, s.timesteps());
        assertEquals(1e-4, s.beta(0), 1e-12);
        assertEquals(0.02, s.beta(999), 1e-12);
        assertEquals(1 - 1e-4, s.alphaBar(0), 1e-12);
        assertEquals(1.0, s.alphaBar(-1), 0);
        double product = 1;
        for (int t = 0; t < 1000; t++) {
            product *= 1 - s.beta(t);
            assertEquals(product, s.alphaBar(t), 1e-12);
        }
        // ᾱ_T ≈ 4.0e-5: x_T is noise for all practical purposes (Ho et al. report L_T ≈ 1e-5 bits/dim).
        assertTrue(s.alphaBar(999) < 1e-4 && s.alphaBar(999) > 1e-5, s.toString());
    }

    @Test
    void cosineScheduleFollowsItsClosedForm() {
        NoiseSchedule s = NoiseSchedule.cosine(1000);
        double f0 = Math.pow(Math.cos(0.008 / 1.008 * Math.PI / 2), 2);
        for (int t : new int[] {0, 10, 250, 500, 750}) {
            double f = Math.pow(Math.cos(((t + 1) / 1000.0 + 0.008) / 1.008 * Math.PI / 2), 2);
            assertEquals(f / f0, s.alphaBar(t), 1e-9, "alpha_bar(" + t + ")");
        }
        assertTrue(s.beta(999) <= 0.999);
        // The cosine schedule keeps more signal in the middle than the linear one.
        assertTrue(s.alphaBar(500) > NoiseSchedule.linear(1000).alphaBar(500));
        assertEquals("cosine", NoiseSchedule.of("Cosine", 10).name());
    }

    @Test
    void noisedImagesHaveTheMeanAndVarianceOfQ() {
        NoiseSchedule s = NoiseSchedule.linear(1000);
        int n = 200_000;
        float[] x0 = new float[n];
        float[] noise = new float[n];
        float[] xt = new float[n];
        SplittableRandom random = new SplittableRandom(1);
        for (int t : new int[] {0, 99, 499, 999}) {
            for (int i = 0; i < n; i++) {
                x0[i] = i % 2 == 0 ? 0.8f : -0.3f;          // two pixel values, one "image" per pixel
                noise[i] = (float) random.nextGaussian();
            }
            int[] steps = new int[n];
            java.util.Arrays.fill(steps, t);
            s.addNoise(x0, noise, steps, xt);
            for (int parity = 0; parity < 2; parity++) {
                double value = parity == 0 ? 0.8 : -0.3;
                double sum = 0;
                double squares = 0;
                for (int i = parity; i < n; i += 2) {
                    sum += xt[i];
                }
                int m = n / 2;
                double mean = sum / m;
                for (int i = parity; i < n; i += 2) {
                    squares += (xt[i] - mean) * (xt[i] - mean);
                }
                double variance = squares / (m - 1);
                double wantMean = Math.sqrt(s.alphaBar(t)) * value;
                double wantVariance = 1 - s.alphaBar(t);
                // 5 standard errors: mean error σ/√m, variance error σ²·√(2/m).
                assertEquals(wantMean, mean, 5 * Math.sqrt(wantVariance / m) + 1e-6, "mean at t=" + t);
                assertEquals(wantVariance, variance, 5 * wantVariance * Math.sqrt(2.0 / m) + 1e-7,
                        "variance at t=" + t);
            }
        }
    }

    @Test
    void badInputIsNamed() {
        var e = assertThrows(IllegalArgumentException.class, () -> NoiseSchedule.linear(0));
        assertTrue(e.getMessage().contains("timesteps must be >= 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> NoiseSchedule.of("quadratic", 10));
        assertTrue(e.getMessage().contains("'quadratic'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> NoiseSchedule.linear(10).alphaBar(10));
        assertTrue(e.getMessage().contains("step 10 is outside [0, 10)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> NoiseSchedule.linear(10)
                .addNoise(new float[4], new float[4], new int[3], new float[4]));
        assertTrue(e.getMessage().contains("multiple of the 3 steps"), e.getMessage());
    }
}
