package dev.panamax.models.gpt;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The hyper-parameters of a training run, named and defaulted as nanoGPT's {@code train.py} (its
 * shakespeare_char CPU recipe where they differ: β₂ 0.99, lr 1e-3 decaying to 1e-4).
 *
 * @param batchSize          sequences per micro-batch
 * @param maxIters           optimizer steps
 * @param learningRate       peak learning rate, reached after the warmup
 * @param minLearningRate    floor of the cosine decay
 * @param warmupIters        steps of linear warmup
 * @param lrDecayIters       the step where the cosine reaches the floor (nanoGPT: = maxIters)
 * @param evalInterval       the val loss is measured every this many steps (and at the last step)
 * @param evalIters          batches averaged for one val loss
 * @param gradAccumulation   micro-batches per optimizer step
 * @param weightDecay        AdamW's decoupled decay, on matrices only
 * @param beta1              AdamW β₁
 * @param beta2              AdamW β₂
 * @param gradClip           global gradient-norm bound (0: no clipping)
 * @param valFraction        the tail of the corpus held out for validation
 * @param seed               seeds the data order and the dropout masks
 */
public record TrainingSettings(int batchSize, int maxIters, double learningRate, double minLearningRate,
                               int warmupIters, int lrDecayIters, int evalInterval, int evalIters,
                               int gradAccumulation, double weightDecay, double beta1, double beta2, double gradClip,
                               double valFraction, long seed) {

    public TrainingSettings {
        positive("batch size", batchSize);
        positive("max iters", maxIters);
        positive("eval interval", evalInterval);
        positive("eval iters", evalIters);
        positive("gradient accumulation steps", gradAccumulation);
        if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
            throw new IllegalArgumentException("learning rate must be a number > 0, got " + learningRate);
        }
        if (!(minLearningRate >= 0 && minLearningRate <= learningRate)) {
            throw new IllegalArgumentException("min learning rate must be in [0, learning rate " + learningRate
                    + "], got " + minLearningRate);
        }
        if (warmupIters < 0 || lrDecayIters <= warmupIters) {
            throw new IllegalArgumentException("warmup iters (" + warmupIters + ") must be >= 0 and below lr decay "
                    + "iters (" + lrDecayIters + ")");
        }
        if (!(weightDecay >= 0)) {
            throw new IllegalArgumentException("weight decay must be >= 0, got " + weightDecay);
        }
        if (!(gradClip >= 0) || Double.isInfinite(gradClip)) {
            throw new IllegalArgumentException("gradient clip must be >= 0 (0: off), got " + gradClip);
        }
        if (!(valFraction > 0 && valFraction < 1)) {
            throw new IllegalArgumentException("val fraction must be in (0, 1), got " + valFraction);
        }
    }

    /** nanoGPT's shakespeare_char recipe for a CPU, with the given batch size and step count. */
    public static TrainingSettings defaults(int batchSize, int maxIters) {
        return new TrainingSettings(batchSize, maxIters, 1e-3, 1e-4, Math.min(100, maxIters / 10), maxIters,
                Math.max(1, Math.min(250, maxIters)), 20, 1, 0.1, 0.9, 0.99, 1.0, 0.1, 1337);
    }

    public TrainingSettings withMaxIters(int iters) {
        return new TrainingSettings(batchSize, iters, learningRate, minLearningRate, warmupIters, lrDecayIters,
                evalInterval, evalIters, gradAccumulation, weightDecay, beta1, beta2, gradClip, valFraction, seed);
    }

    public TrainingSettings withEval(int interval, int iters) {
        return new TrainingSettings(batchSize, maxIters, learningRate, minLearningRate, warmupIters, lrDecayIters,
                interval, iters, gradAccumulation, weightDecay, beta1, beta2, gradClip, valFraction, seed);
    }

    public TrainingSettings withSchedule(double lr, double minLr, int warmup, int decayIters) {
        return new TrainingSettings(batchSize, maxIters, lr, minLr, warmup, decayIters, evalInterval, evalIters,
                gradAccumulation, weightDecay, beta1, beta2, gradClip, valFraction, seed);
    }

    public TrainingSettings withGradAccumulation(int steps) {
        return new TrainingSettings(batchSize, maxIters, learningRate, minLearningRate, warmupIters, lrDecayIters,
                evalInterval, evalIters, steps, weightDecay, beta1, beta2, gradClip, valFraction, seed);
    }

    public TrainingSettings withSeed(long newSeed) {
        return new TrainingSettings(batchSize, maxIters, learningRate, minLearningRate, warmupIters, lrDecayIters,
                evalInterval, evalIters, gradAccumulation, weightDecay, beta1, beta2, gradClip, valFraction, newSeed);
    }

    public TrainingSettings withWeightDecay(double decay) {
        return new TrainingSettings(batchSize, maxIters, learningRate, minLearningRate, warmupIters, lrDecayIters,
                evalInterval, evalIters, gradAccumulation, decay, beta1, beta2, gradClip, valFraction, seed);
    }

    /** As JSON fields (nanoGPT's names), for the checkpoint's {@code trainer.json}. */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("batch_size", (long) batchSize);
        m.put("max_iters", (long) maxIters);
        m.put("learning_rate", learningRate);
        m.put("min_lr", minLearningRate);
        m.put("warmup_iters", (long) warmupIters);
        m.put("lr_decay_iters", (long) lrDecayIters);
        m.put("eval_interval", (long) evalInterval);
        m.put("eval_iters", (long) evalIters);
        m.put("gradient_accumulation_steps", (long) gradAccumulation);
        m.put("weight_decay", weightDecay);
        m.put("beta1", beta1);
        m.put("beta2", beta2);
        m.put("grad_clip", gradClip);
        m.put("val_fraction", valFraction);
        m.put("seed", seed);
        return m;
    }

    /** Reads {@link #toJson()}'s fields back; {@code source} names the file in errors. */
    public static TrainingSettings fromJson(Map<?, ?> m, String source) {
        try {
            return new TrainingSettings(integer(m, "batch_size"), integer(m, "max_iters"), real(m, "learning_rate"),
                    real(m, "min_lr"), integer(m, "warmup_iters"), integer(m, "lr_decay_iters"),
                    integer(m, "eval_interval"), integer(m, "eval_iters"), integer(m, "gradient_accumulation_steps"),
                    real(m, "weight_decay"), real(m, "beta1"), real(m, "beta2"), real(m, "grad_clip"),
                    real(m, "val_fraction"), ((Number) field(m, "seed")).longValue());
        } catch (IllegalArgumentException | ClassCastException e) {
            throw new IllegalArgumentException(source + ": bad training settings: " + e.getMessage(), e);
        }
    }

    private static Object field(Map<?, ?> m, String key) {
        Object v = m.get(key);
        if (v == null) {
            throw new IllegalArgumentException("\"" + key + "\" is missing");
        }
        return v;
    }

    private static int integer(Map<?, ?> m, String key) {
        return Math.toIntExact(((Number) field(m, key)).longValue());
    }

    private static double real(Map<?, ?> m, String key) {
        return ((Number) field(m, key)).doubleValue();
    }

    private static void positive(String what, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(what + " must be >= 1, got " + value);
        }
    }
}
