package dev.panamax.models.diffusion.eval;

import dev.panamax.engine.Backend;
import dev.panamax.engine.StepMemory;
import dev.panamax.engine.autograd.ConvOps;
import dev.panamax.engine.autograd.ElementwiseOps;
import dev.panamax.engine.autograd.LossOps;
import dev.panamax.engine.autograd.ShapeOps;
import dev.panamax.engine.autograd.Tape;
import dev.panamax.engine.autograd.Var;
import dev.panamax.engine.io.ParameterCheckpoint;
import dev.panamax.engine.io.SafeTensorsFile;
import dev.panamax.engine.nn.Conv2d;
import dev.panamax.engine.nn.Linear;
import dev.panamax.engine.nn.Module;
import dev.panamax.engine.nn.Parameter;
import dev.panamax.engine.optim.AdamW;
import dev.panamax.engine.optim.WarmupCosineSchedule;
import dev.panamax.models.diffusion.data.GlyphDataset;
import dev.panamax.models.diffusion.data.ImageBatches;
import dev.panamax.models.diffusion.data.ImageDataset;
import dev.panamax.models.training.ProgressBar;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A small CNN that tells glyphs apart, trained with the engine; the evaluation's judge. Its penultimate layer (64
 * features) is the feature space of the FID-style distance, the way FID uses Inception's pool layer.
 *
 * <pre>
 *   x [n, C, S, S]
 *   conv 3×3, C → 16, ReLU, 2×2 average pool      [n, 16, S/2, S/2]
 *   conv 3×3, 16 → 32, ReLU, 2×2 average pool     [n, 32, S/4, S/4]
 *   flatten, linear → 64, SiLU                    [n, 64]      ← features
 *   linear → classes                              [n, classes] ← logits
 * </pre>
 *
 * ReLU on the large convolution maps because it costs a fraction of SiLU there (forward and backward); SiLU on
 * the 64 features, where it is cheap, so that no feature is stuck at exactly zero (a smooth, full-rank feature
 * covariance for the distance).
 *
 * The weights live in the classifier's own arena; {@link #close()} frees them.
 */
public final class GlyphClassifier implements Module, AutoCloseable {

    /** The width of the penultimate layer: the dimension of {@link #features}. */
    public static final int FEATURES = 64;
    /** Bumped when the architecture or training changes, so cached classifiers are retrained. */
    public static final int VERSION = 1;

    /** Where the commands keep the trained classifier unless told otherwise. */
    public static final Path DEFAULT_CACHE_DIR = Path.of("runs", "glyph-classifier");

    private static final int CONV1 = 16;
    private static final int CONV2 = 32;
    private static final int INFERENCE_BATCH = 256;

    /** How to train: passes over the data, batch size, peak learning rate (AdamW, cosine decay), seed. */
    public record Training(int epochs, int batchSize, double learningRate, long seed) {
        public Training {
            if (epochs < 1 || batchSize < 1) {
                throw new IllegalArgumentException("GlyphClassifier.Training: epochs and batchSize must be >= 1, got "
                        + epochs + ", " + batchSize);
            }
            if (!(learningRate > 0) || !Double.isFinite(learningRate)) {
                throw new IllegalArgumentException("GlyphClassifier.Training: learningRate must be > 0, got "
                        + learningRate);
            }
        }
    }

    /** What {@link #trainOrLoad} trains on (fresh glyph images) and how. */
    public record GlyphRecipe(int trainImages, int heldOutImages, Training training) {
        /** The recipe the evaluation uses: 20 000 training glyphs, 2 epochs, 5 000 held out. */
        public static final GlyphRecipe DEFAULT = new GlyphRecipe(20_000, 5_000, new Training(2, 64, 3e-3, 1));

        public GlyphRecipe {
            if (trainImages < 1 || heldOutImages < 1 || training == null) {
                throw new IllegalArgumentException("GlyphClassifier.GlyphRecipe: trainImages and heldOutImages must be"
                        + " >= 1 and training set, got " + trainImages + ", " + heldOutImages + ", " + training);
            }
        }

        /** The seed of the held-out glyphs: far from the training seed, so no image is shared. */
        long heldOutSeed() {
            return ~training.seed();
        }
    }

    private final Arena arena = Arena.ofShared();
    private final Backend backend;
    /** Each batch reuses the activation memory of the one before. */
    private final StepMemory stepMemory = new StepMemory();
    private final int channels;
    private final int imageSize;
    private final List<String> classNames;
    private final Conv2d conv1;
    private final Conv2d conv2;
    private final Linear hidden;
    private final Linear head;
    private double heldOutAccuracy = Double.NaN;

    /**
     * A classifier for {@code channels × imageSize × imageSize} images into {@code classNames.size()} classes,
     * initialised from {@code seed}. {@code imageSize} must be divisible by 4 (two 2× poolings).
     */
    public GlyphClassifier(int channels, int imageSize, List<String> classNames, long seed, Backend backend) {
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("GlyphClassifier: channels must be 1 or 3, got " + channels);
        }
        if (imageSize < 4 || imageSize % 4 != 0) {
            throw new IllegalArgumentException("GlyphClassifier: imageSize must be a positive multiple of 4 (two 2x2 "
                    + "poolings), got " + imageSize);
        }
        if (classNames == null || classNames.size() < 2) {
            throw new IllegalArgumentException("GlyphClassifier: at least 2 classes are needed, got " + classNames);
        }
        if (backend == null) {
            throw new IllegalArgumentException("GlyphClassifier: backend is null");
        }
        this.backend = backend;
        this.channels = channels;
        this.imageSize = imageSize;
        this.classNames = List.copyOf(classNames);
        int pooled = imageSize / 4;
        this.conv1 = new Conv2d(arena, "conv1", channels, CONV1, 3, 1, 1, true, seed);
        this.conv2 = new Conv2d(arena, "conv2", CONV1, CONV2, 3, 1, 1, true, seed + 10);
        this.hidden = new Linear(arena, "hidden", CONV2 * pooled * pooled, FEATURES, true, seed + 20);
        this.head = new Linear(arena, "head", FEATURES, classNames.size(), true, seed + 30);
    }

    // ------------------------------------------------------------------ the network

    /** x [n, C, S, S] → the penultimate features [n, 64]. */
    private Var features(Tape tape, Var x) {
        int n = x.shape()[0];
        Var h = ConvOps.avgPool2x2(tape, ElementwiseOps.relu(tape, conv1.forward(tape, x)));   // [n, 16, S/2, S/2]
        h = ConvOps.avgPool2x2(tape, ElementwiseOps.relu(tape, conv2.forward(tape, h)));       // [n, 32, S/4, S/4]
        h = ShapeOps.reshape(tape, h, n, h.value().dim(1) * h.value().dim(2) * h.value().dim(3));
        return ElementwiseOps.silu(tape, hidden.forward(tape, h));                             // [n, 64]
    }

    /** features [n, 64] → logits [n, classes]. */
    private Var logits(Tape tape, Var features) {
        return head.forward(tape, features);
    }

    @Override
    public List<Parameter> parameters() {
        List<Parameter> all = new ArrayList<>();
        all.addAll(conv1.parameters());
        all.addAll(conv2.parameters());
        all.addAll(hidden.parameters());
        all.addAll(head.parameters());
        return all;
    }

    // ------------------------------------------------------------------ training

    /**
     * Trains on every image of {@code data} (labelled, the classifier's image shape and class count) for
     * {@code training.epochs()} shuffled passes with AdamW and a warmup + cosine learning rate, showing progress
     * on {@code progress} (null for none). Returns the mean training loss of the last epoch.
     */
    public double train(ImageDataset data, Training training, PrintStream progress) {
        requireShape("train", data);
        if (data.classes() != classNames.size()) {
            throw new IllegalArgumentException("GlyphClassifier.train: the data has " + data.classes()
                    + " classes, the classifier " + classNames.size());
        }
        int n = data.size();
        int batch = Math.min(training.batchSize(), n);
        int stepsPerEpoch = (n + batch - 1) / batch;
        long totalSteps = (long) stepsPerEpoch * training.epochs();
        List<Parameter> parameters = parameters();
        long warmup = Math.min(100, totalSteps / 10);
        var schedule = new WarmupCosineSchedule(training.learningRate(), training.learningRate() / 20, warmup,
                Math.max(totalSteps, warmup + 1));
        ProgressBar bar = progress == null ? null : new ProgressBar(progress, "step", totalSteps);
        SplittableRandom random = new SplittableRandom(training.seed());
        double epochLoss = 0;
        double smoothedLoss = Double.NaN;
        double smoothedAccuracy = Double.NaN;
        long step = 0;
        try (AdamW optimizer = new AdamW(training.learningRate(), 0.9, 0.999, 1e-8, 0.01)) {
            for (int epoch = 0; epoch < training.epochs(); epoch++) {
                int[] order = permutation(n, random);
                epochLoss = 0;
                for (int start = 0; start < n; start += batch) {
                    int b = Math.min(batch, n - start);
                    int[] indices = Arrays.copyOfRange(order, start, start + b);
                    int[] labels = ImageBatches.labels(data, indices);
                    float loss;
                    int correct;
                    try (Tape tape = new Tape(backend, stepMemory)) {
                        Var x = input(tape, ImageBatches.gather(data, indices), b);
                        Var logits = logits(tape, features(tape, x));
                        Var lossVar = LossOps.crossEntropy(tape, logits, labels, -1);
                        tape.backward(lossVar);
                        loss = lossVar.item();
                        correct = countCorrect(argmax(logits.value().toArray(), b), labels);
                    }
                    if (!Float.isFinite(loss)) {
                        throw new IllegalStateException("GlyphClassifier.train: the loss became " + loss + " at step "
                                + step + "; lower the learning rate (" + training.learningRate() + ")");
                    }
                    optimizer.setLearningRate(schedule.lr(step));
                    optimizer.step(parameters);
                    optimizer.zeroGrad(parameters);
                    step++;
                    epochLoss += loss * b;
                    double accuracy = (double) correct / b;
                    smoothedLoss = Double.isNaN(smoothedLoss) ? loss : 0.95 * smoothedLoss + 0.05 * loss;
                    smoothedAccuracy = Double.isNaN(smoothedAccuracy) ? accuracy
                            : 0.95 * smoothedAccuracy + 0.05 * accuracy;
                    if (bar != null) {
                        double imagesPerSecond = step * (double) batch / Math.max(bar.elapsedSeconds(), 1e-9);
                        bar.update(step, String.format(Locale.ROOT, "epoch %d/%d  loss %.4f  acc %.1f%%  %s img/s",
                                epoch + 1, training.epochs(), smoothedLoss, 100 * smoothedAccuracy,
                                ProgressBar.rate(imagesPerSecond)));
                    }
                }
            }
        }
        return epochLoss / n;
    }

    private static int[] permutation(int n, SplittableRandom random) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    // ------------------------------------------------------------------ inference

    /**
     * The penultimate features of {@code count} images ({@code images} holds them one after another, C·S·S floats
     * each, values in [-1, 1]): {@code count} rows of {@link #FEATURES} values. Runs in batches of 256.
     */
    public float[][] features(float[] images, int count) {
        requireImages("features", images, count);
        float[][] out = new float[count][];
        int per = channels * imageSize * imageSize;
        for (int start = 0; start < count; start += INFERENCE_BATCH) {
            int b = Math.min(INFERENCE_BATCH, count - start);
            float[] slice = Arrays.copyOfRange(images, start * per, (start + b) * per);
            try (Tape tape = new Tape(backend, stepMemory)) {
                float[] values = features(tape, input(tape, slice, b)).value().toArray();
                for (int i = 0; i < b; i++) {
                    out[start + i] = Arrays.copyOfRange(values, i * FEATURES, (i + 1) * FEATURES);
                }
            }
        }
        return out;
    }

    /** The most likely class of each of {@code count} images (laid out as for {@link #features}). */
    public int[] predict(float[] images, int count) {
        requireImages("predict", images, count);
        int[] out = new int[count];
        int per = channels * imageSize * imageSize;
        for (int start = 0; start < count; start += INFERENCE_BATCH) {
            int b = Math.min(INFERENCE_BATCH, count - start);
            float[] slice = Arrays.copyOfRange(images, start * per, (start + b) * per);
            try (Tape tape = new Tape(backend, stepMemory)) {
                int[] labels = argmax(logits(tape, features(tape, input(tape, slice, b))).value().toArray(), b);
                System.arraycopy(labels, 0, out, start, b);
            }
        }
        return out;
    }

    /** The share of {@code data}'s images whose predicted class is their label. */
    public double accuracy(ImageDataset data) {
        requireShape("accuracy", data);
        int correct = 0;
        int chunk = 4 * INFERENCE_BATCH;
        for (int start = 0; start < data.size(); start += chunk) {
            int b = Math.min(chunk, data.size() - start);
            int[] predicted = predict(ImageBatches.range(data, start, b), b);
            for (int i = 0; i < b; i++) {
                correct += predicted[i] == data.label(start + i) ? 1 : 0;
            }
        }
        return (double) correct / data.size();
    }

    private Var input(Tape tape, float[] images, int count) {
        var tensor = tape.allocateUninitialized(count, channels, imageSize, imageSize);
        tensor.copyFrom(images);
        return tape.constant(tensor);
    }

    private static int[] argmax(float[] logits, int rows) {
        int classes = logits.length / rows;
        int[] out = new int[rows];
        for (int r = 0; r < rows; r++) {
            int best = 0;
            for (int c = 1; c < classes; c++) {
                if (logits[r * classes + c] > logits[r * classes + best]) {
                    best = c;
                }
            }
            out[r] = best;
        }
        return out;
    }

    private static int countCorrect(int[] predicted, int[] labels) {
        int correct = 0;
        for (int i = 0; i < labels.length; i++) {
            correct += predicted[i] == labels[i] ? 1 : 0;
        }
        return correct;
    }

    private void requireImages(String op, float[] images, int count) {
        long needed = (long) count * channels * imageSize * imageSize;
        if (count < 1 || images == null || images.length != needed) {
            throw new IllegalArgumentException("GlyphClassifier." + op + ": expected " + count + " images of "
                    + channels + "x" + imageSize + "x" + imageSize + " (" + needed + " floats), got "
                    + (images == null ? "null" : images.length + " floats"));
        }
    }

    private void requireShape(String op, ImageDataset data) {
        if (data.channels() != channels || data.height() != imageSize || data.width() != imageSize) {
            throw new IllegalArgumentException("GlyphClassifier." + op + ": the images are " + data.channels() + "x"
                    + data.height() + "x" + data.width() + ", the classifier takes " + channels + "x" + imageSize + "x"
                    + imageSize);
        }
        if (data.size() < 1 || data.classes() < 1) {
            throw new IllegalArgumentException("GlyphClassifier." + op + ": the data must hold labelled images, got "
                    + data.size() + " images in " + data.classes() + " classes");
        }
    }

    // ------------------------------------------------------------------ files

    /** Saves the weights (safetensors, atomically) with the shape, class names and held-out accuracy. */
    public void save(Path file, Map<String, String> extraMetadata) {
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("model", "glyph-classifier");
        metadata.put("version", Integer.toString(VERSION));
        metadata.put("channels", Integer.toString(channels));
        metadata.put("image_size", Integer.toString(imageSize));
        metadata.put("class_names", String.join("\u001F", classNames));
        metadata.put("held_out_accuracy", Double.toString(heldOutAccuracy));
        if (extraMetadata != null) {
            metadata.putAll(extraMetadata);
        }
        try {
            Path parent = file.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            ParameterCheckpoint.save(file, parameters(), metadata);
        } catch (IOException e) {
            throw new UncheckedIOException("GlyphClassifier: cannot write " + file + " (" + e.getClass().getSimpleName()
                    + ": " + e.getMessage() + ")", e);
        }
    }

    /** A classifier saved by {@link #save}. */
    public static GlyphClassifier load(Path file, Backend backend) {
        Map<String, String> metadata = metadata(file);
        if (!"glyph-classifier".equals(metadata.get("model"))) {
            throw new IllegalArgumentException("GlyphClassifier.load: " + file + " is not a glyph classifier "
                    + "(metadata model=" + metadata.get("model") + ")");
        }
        GlyphClassifier classifier;
        try {
            classifier = new GlyphClassifier(Integer.parseInt(metadata.get("channels")),
                    Integer.parseInt(metadata.get("image_size")), List.of(metadata.get("class_names").split("\u001F")),
                    0, backend);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("GlyphClassifier.load: " + file + " has unusable metadata " + metadata
                    + ": " + e.getMessage(), e);
        }
        try {
            ParameterCheckpoint.load(file, classifier.parameters());
        } catch (IOException e) {
            classifier.close();
            throw new IllegalArgumentException("GlyphClassifier.load: " + e.getMessage(), e);
        }
        classifier.heldOutAccuracy = Double.parseDouble(metadata.getOrDefault("held_out_accuracy", "NaN"));
        return classifier;
    }

    private static Map<String, String> metadata(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("GlyphClassifier.load: " + file + " does not exist");
        }
        try (SafeTensorsFile opened = SafeTensorsFile.open(file)) {
            return opened.metadata();
        } catch (IOException e) {
            throw new IllegalArgumentException("GlyphClassifier.load: " + e.getMessage(), e);
        }
    }

    /** {@link #trainOrLoad(Path, int, GlyphDataset.Glyphs, GlyphRecipe, Backend, PrintStream)} with the default recipe. */
    public static GlyphClassifier trainOrLoad(Path cacheDir, int imageSize, GlyphDataset.Glyphs glyphs, Backend backend,
                                              PrintStream progress) {
        return trainOrLoad(cacheDir, imageSize, glyphs, GlyphRecipe.DEFAULT, backend, progress);
    }

    /**
     * The classifier for {@code glyphs} at {@code imageSize}: loaded from {@code cacheDir} when a classifier of the
     * same recipe, glyph rendering and architecture is there, otherwise trained on fresh glyph images (progress
     * on {@code progress}), measured on held-out glyphs and saved there for next time.
     */
    public static GlyphClassifier trainOrLoad(Path cacheDir, int imageSize, GlyphDataset.Glyphs glyphs,
                                              GlyphRecipe recipe, Backend backend, PrintStream progress) {
        Path file = cacheFile(cacheDir, imageSize, glyphs);
        String fingerprint = fingerprint(recipe);
        if (Files.isRegularFile(file)) {
            String problem;
            try {
                if (fingerprint.equals(metadata(file).get("recipe"))) {
                    return load(file, backend);
                }
                problem = "was trained with another recipe or glyph version";
            } catch (IllegalArgumentException e) {
                problem = "cannot be used (" + e.getMessage() + ")";
            }
            if (progress != null) {
                progress.println("glyph classifier: " + file + " " + problem + "; retraining");
            }
        }
        requireWritableFolder(cacheDir);     // fail now, not after minutes of training
        GlyphDataset train = GlyphDataset.generate(recipe.trainImages(), imageSize, recipe.training().seed(), glyphs);
        GlyphDataset heldOut = GlyphDataset.generate(recipe.heldOutImages(), imageSize, recipe.heldOutSeed(), glyphs);
        GlyphClassifier classifier = new GlyphClassifier(1, imageSize, train.classNames(), recipe.training().seed(),
                backend);
        try {
            if (progress != null) {
                progress.println("glyph classifier: training on " + recipe.trainImages() + " glyphs of " + imageSize
                        + "x" + imageSize + " (" + recipe.training().epochs() + " epochs)");
            }
            classifier.train(train, recipe.training(), progress);
            classifier.heldOutAccuracy = classifier.accuracy(heldOut);
            classifier.save(file, Map.of("recipe", fingerprint, "glyphs", glyphs.name()));
        } catch (RuntimeException e) {
            classifier.close();
            throw e;
        }
        return classifier;
    }

    private static void requireWritableFolder(Path folder) {
        try {
            Files.createDirectories(folder);
        } catch (IOException e) {
            throw new IllegalArgumentException("GlyphClassifier: cannot create the cache folder " + folder + " ("
                    + e.getClass().getSimpleName() + ": " + e.getMessage() + ")", e);
        }
        if (!Files.isWritable(folder)) {
            throw new IllegalArgumentException("GlyphClassifier: the cache folder " + folder + " is not writable");
        }
    }

    /** Whether {@link #trainOrLoad} would load a cached classifier rather than train one. */
    public static boolean isCached(Path cacheDir, int imageSize, GlyphDataset.Glyphs glyphs, GlyphRecipe recipe) {
        Path file = cacheFile(cacheDir, imageSize, glyphs);
        try {
            return Files.isRegularFile(file) && fingerprint(recipe).equals(metadata(file).get("recipe"));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** Where {@link #trainOrLoad} keeps the classifier for these glyphs and size. */
    public static Path cacheFile(Path cacheDir, int imageSize, GlyphDataset.Glyphs glyphs) {
        return cacheDir.resolve("glyph-classifier-" + glyphs.name().toLowerCase(Locale.ROOT).replace('_', '-') + "-"
                + imageSize + "px.safetensors");
    }

    /** Everything that decides the trained weights; a cached file with another fingerprint is retrained. */
    private static String fingerprint(GlyphRecipe recipe) {
        Training t = recipe.training();
        return String.format(Locale.ROOT, "classifier v%d, glyphs v%d, train %d, held-out %d, epochs %d, batch %d, "
                        + "lr %s, seed %d", VERSION, GlyphDataset.RECIPE_VERSION, recipe.trainImages(),
                recipe.heldOutImages(), t.epochs(), t.batchSize(), t.learningRate(), t.seed());
    }

    // ------------------------------------------------------------------ accessors

    public int channels() {
        return channels;
    }

    public int imageSize() {
        return imageSize;
    }

    public List<String> classNames() {
        return classNames;
    }

    /** The accuracy on held-out glyphs measured when it was trained by {@link #trainOrLoad}; NaN otherwise. */
    public double heldOutAccuracy() {
        return heldOutAccuracy;
    }

    /** Frees the weights. */
    @Override
    public void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }
}
