package dev.panamax.models.diffusion;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How a {@link DiffusionTrainer} trains: the noise schedule, the optimizer and its learning-rate schedule (linear
 * warmup, then cosine decay to a tenth of the peak at {@code steps}), clipping, the EMA and the label dropout.
 *
 * @param steps          total optimizer steps of the run
 * @param batchSize      images per step
 * @param learningRate   AdamW's peak learning rate
 * @param warmupSteps    linear warmup steps
 * @param weightDecay    AdamW's decoupled weight decay (matrices and kernels only)
 * @param gradientClip   global-norm clipping threshold, 0 for none
 * @param emaDecay       decay of the exponential moving average of the weights (used for sampling), in [0, 1)
 * @param labelDropout   probability that a training label is replaced by the null label (classifier-free guidance)
 * @param schedule       "linear" or "cosine"
 * @param timesteps      T
 * @param seed           initial weights, batches, steps, noise and label dropout all derive from it
 */
public record TrainingConfig(long steps, int batchSize, double learningRate, long warmupSteps, double weightDecay,
                             double gradientClip, double emaDecay, double labelDropout, String schedule,
                             int timesteps, long seed) {

    public TrainingConfig {
        if (steps < 1 || batchSize < 1 || warmupSteps < 0 || timesteps < 1) {
            throw new IllegalArgumentException("TrainingConfig: steps, batchSize and timesteps must be >= 1 and "
                    + "warmupSteps >= 0, got " + steps + ", " + batchSize + ", " + timesteps + ", " + warmupSteps);
        }
        if (!(learningRate > 0) || !(weightDecay >= 0) || !(gradientClip >= 0)) {
            throw new IllegalArgumentException("TrainingConfig: learningRate must be > 0, weightDecay and "
                    + "gradientClip >= 0, got " + learningRate + ", " + weightDecay + ", " + gradientClip);
        }
        if (!(emaDecay >= 0 && emaDecay < 1)) {
            throw new IllegalArgumentException("TrainingConfig: emaDecay must be in [0, 1), got " + emaDecay);
        }
        if (!(labelDropout >= 0 && labelDropout <= 1)) {
            throw new IllegalArgumentException("TrainingConfig: labelDropout must be in [0, 1], got " + labelDropout);
        }
        NoiseSchedule.of(schedule, 1);     // validates the name
    }

    /** The defaults of the issue: linear schedule over T = 1000, EMA 0.999, label dropout 0.1, clip 1. */
    public static TrainingConfig defaults(long steps, int batchSize, double learningRate, long seed) {
        return new TrainingConfig(steps, batchSize, learningRate, Math.min(500, steps / 10), 0.0, 1.0, 0.999, 0.1,
                "linear", 1000, seed);
    }

    public TrainingConfig withSteps(long newSteps) {
        return new TrainingConfig(newSteps, batchSize, learningRate, warmupSteps, weightDecay, gradientClip, emaDecay,
                labelDropout, schedule, timesteps, seed);
    }

    public NoiseSchedule noiseSchedule() {
        return NoiseSchedule.of(schedule, timesteps);
    }

    public Map<String, Object> toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("steps", steps);
        json.put("batch_size", batchSize);
        json.put("learning_rate", learningRate);
        json.put("warmup_steps", warmupSteps);
        json.put("weight_decay", weightDecay);
        json.put("gradient_clip", gradientClip);
        json.put("ema_decay", emaDecay);
        json.put("label_dropout", labelDropout);
        json.put("schedule", schedule);
        json.put("timesteps", timesteps);
        json.put("seed", seed);
        return json;
    }

    public static TrainingConfig fromJson(Map<?, ?> json) {
        return new TrainingConfig(whole(json, "steps"), (int) whole(json, "batch_size"), real(json, "learning_rate"),
                whole(json, "warmup_steps"), real(json, "weight_decay"), real(json, "gradient_clip"),
                real(json, "ema_decay"), real(json, "label_dropout"), text(json, "schedule"),
                (int) whole(json, "timesteps"), whole(json, "seed"));
    }

    private static long whole(Map<?, ?> json, String key) {
        if (!(json.get(key) instanceof Long l)) {
            throw new IllegalArgumentException("TrainingConfig: " + key + " is missing or not an integer");
        }
        return l;
    }

    private static double real(Map<?, ?> json, String key) {
        if (!(json.get(key) instanceof Number n)) {
            throw new IllegalArgumentException("TrainingConfig: " + key + " is missing or not a number");
        }
        return n.doubleValue();
    }

    private static String text(Map<?, ?> json, String key) {
        if (!(json.get(key) instanceof String s)) {
            throw new IllegalArgumentException("TrainingConfig: " + key + " is missing or not a string");
        }
        return s;
    }
}
