package dev.panamax.models.gpt;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.zip.CRC32;

/**
 * A tokenized corpus split into a train part (the head) and a val part (the tail), as nanoGPT's
 * {@code prepare.py}, and batches of random windows from either.
 *
 * <p>A batch is {@code batch} windows of {@code time + 1} consecutive tokens at random offsets: the first
 * {@code time} are the inputs, the last {@code time} the targets (each input's next token). The offsets come from
 * a generator seeded by (run seed, step, micro-step), not from a generator that runs through the whole training,
 * so the data order is a function of the step alone: a run resumed at step s reads exactly the batches the
 * uninterrupted run read, with no generator state to save.
 */
public final class TokenDataset {

    /** Which part of the corpus. */
    public enum Split { TRAIN, VAL }

    private final int[] train;
    private final int[] val;
    private final long checksum;

    private TokenDataset(int[] train, int[] val, long checksum) {
        this.train = train;
        this.val = val;
        this.checksum = checksum;
    }

    /**
     * Splits {@code tokens}: the first ⌊n·(1 − valFraction)⌋ go to train and the rest to val, as nanoGPT's
     * {@code prepare.py} ({@code data[:int(n*0.9)]}). Both parts need at least {@code blockSize + 1} tokens (one full
     * window); otherwise the error says how long the text must be. {@code source} names the text.
     */
    public static TokenDataset split(int[] tokens, double valFraction, int blockSize, String source) {
        if (!(valFraction > 0 && valFraction < 1)) {
            throw new IllegalArgumentException("val fraction must be in (0, 1), got " + valFraction);
        }
        int trainLength = (int) (tokens.length * (1 - valFraction));
        int valLength = tokens.length - trainLength;
        int needed = blockSize + 1;
        if (trainLength < needed || valLength < needed) {
            long total = (long) Math.ceil(needed / Math.min(valFraction, 1 - valFraction)) + 1;
            throw new IllegalArgumentException(source + " has " + tokens.length + " tokens: the train/val split ("
                    + trainLength + " / " + valLength + ") needs at least block size + 1 = " + needed
                    + " tokens in each part, so about " + total + " tokens in all; use a longer text or a smaller "
                    + "block size");
        }
        CRC32 crc = new CRC32();
        for (int t : tokens) {
            crc.update(t);
            crc.update(t >>> 8);
            crc.update(t >>> 16);
        }
        return new TokenDataset(Arrays.copyOf(tokens, trainLength), Arrays.copyOfRange(tokens, trainLength,
                tokens.length), crc.getValue());
    }

    public int trainTokens() {
        return train.length;
    }

    public int valTokens() {
        return val.length;
    }

    /** A checksum of the tokens, so a resumed run can tell that it reads the same corpus. */
    public long checksum() {
        return checksum;
    }

    /**
     * Fills {@code inputs} and {@code targets} (each {@code batch·time}) with a batch of random windows of
     * {@code split}, drawn from the generator seeded by {@code (seed, step, micro)}.
     */
    public void batch(Split split, int batch, int time, long seed, long step, int micro, int[] inputs, int[] targets) {
        int[] tokens = split == Split.TRAIN ? train : val;
        if (time + 1 > tokens.length) {
            throw new IllegalArgumentException("a window of " + (time + 1) + " tokens does not fit the " + split
                    + " split of " + tokens.length + " tokens");
        }
        if (inputs.length != batch * time || targets.length != batch * time) {
            throw new IllegalArgumentException("batch: arrays of " + inputs.length + " and " + targets.length
                    + " for batch " + batch + " × time " + time);
        }
        SplittableRandom random = new SplittableRandom(mix(seed, split.ordinal(), step, micro));
        for (int b = 0; b < batch; b++) {
            int offset = random.nextInt(tokens.length - time);
            System.arraycopy(tokens, offset, inputs, b * time, time);
            System.arraycopy(tokens, offset + 1, targets, b * time, time);
        }
    }

    /**
     * How many windows of {@code time + 1} tokens, one after another, cover the val split:
     * {@link #sequentialValBatch} reads them in order.
     */
    public int sequentialValWindows(int time) {
        return (val.length - 1) / time;
    }

    /**
     * Fills {@code inputs} and {@code targets} with up to {@code batch} consecutive, non-overlapping val windows
     * starting at window {@code first} (window w covers tokens [w·time, w·time + time]), and returns how many it
     * filled. Reading every window once gives the loss of the whole val split, with every context length 1..time
     * equally often, as in random windows, so its expectation is the one a random-window estimate has.
     */
    public int sequentialValBatch(int first, int batch, int time, int[] inputs, int[] targets) {
        int windows = sequentialValWindows(time);
        if (first < 0 || first >= windows) {
            throw new IllegalArgumentException("sequentialValBatch: window " + first + " is outside [0, " + windows
                    + ") for time " + time);
        }
        if (inputs.length != batch * time || targets.length != batch * time) {
            throw new IllegalArgumentException("sequentialValBatch: arrays of " + inputs.length + " and "
                    + targets.length + " for batch " + batch + " × time " + time);
        }
        int count = Math.min(batch, windows - first);
        for (int b = 0; b < count; b++) {
            int offset = (first + b) * time;
            System.arraycopy(val, offset, inputs, b * time, time);
            System.arraycopy(val, offset + 1, targets, b * time, time);
        }
        return count;
    }

    /** One 64-bit seed from several numbers (SplitMix64 finalizer per input). */
    static long mix(long... parts) {
        long h = 0x9E3779B97F4A7C15L;
        for (long p : parts) {
            h ^= p;
            h *= 0xBF58476D1CE4E5B9L;
            h ^= h >>> 31;
            h *= 0x94D049BB133111EBL;
            h ^= h >>> 29;
        }
        return h;
    }
}
