package dev.panamax.models.diffusion.data;

import dev.panamax.engine.parallel.WorkerPool;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.GraphicsEnvironment;
import java.awt.RenderingHints;
import java.awt.Shape;
import java.awt.font.FontRenderContext;
import java.awt.geom.AffineTransform;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Labelled glyph images made on the spot: the digits 0–9 (optionally also the letters A–Z) drawn with the JDK's own
 * fonts through Java2D (headless), white (+1) on black (−1), grayscale, square. Every image gets its own font
 * face, glyph height, width stretch, rotation, offset and stroke thickening, drawn from a random stream that is a
 * function of the seed and the image's index only, so a seed gives the same images whatever the thread count.
 * The labels are balanced (class counts differ by at most one) and in a seeded random order.
 *
 * <p>The images are stored as bytes (one per pixel) and turned into floats in [-1, 1] by {@link #image}, so 60 000
 * images of 32×32 take 60 MB. Same seed, same images on a given JDK and font set; the logical fonts (Serif,
 * SansSerif, Monospaced, Dialog, DialogInput) map to whatever fonts the machine has installed, so another machine
 * may draw slightly different shapes.
 */
public final class GlyphDataset implements ImageDataset {

    static {
        // Fonts and Graphics2D need no display; say so before AWT initialises, so it never looks for one.
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    /**
     * Bumped whenever the rendering changes, so that a classifier cached for an older version of the glyphs is
     * retrained rather than reused.
     */
    public static final int RECIPE_VERSION = 1;

    public static final int MIN_SIZE = 12;
    public static final int MAX_SIZE = 256;

    /** Which characters are drawn; the class index is the position in {@link #characters()}. */
    public enum Glyphs {
        DIGITS("0123456789"),
        DIGITS_AND_LETTERS("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ");

        private final String characters;

        Glyphs(String characters) {
            this.characters = characters;
        }

        public String characters() {
            return characters;
        }

        public int classes() {
            return characters.length();
        }
    }

    /** Which fonts the faces come from. */
    public enum Fonts {
        /** The five logical fonts every JDK has, in four styles each (20 faces): the portable default. */
        LOGICAL,
        /** The logical fonts plus every installed family that can draw all the glyphs (machine-dependent). */
        INSTALLED
    }

    /** A font family in one style. */
    record Face(String family, int style) {
    }

    private static final List<String> LOGICAL_FAMILIES =
            List.of(Font.SERIF, Font.SANS_SERIF, Font.MONOSPACED, Font.DIALOG, Font.DIALOG_INPUT);
    private static final int[] STYLES = {Font.PLAIN, Font.BOLD, Font.ITALIC, Font.BOLD | Font.ITALIC};

    // The random ranges, relative to the image size (so 28 and 32 pixels look alike).
    private static final double MIN_HEIGHT = 0.55;       // glyph height / image size
    private static final double MAX_HEIGHT = 0.85;
    private static final double MAX_STRETCH = 0.15;      // width scaled by 1 ± this
    private static final double MAX_ROTATION_DEGREES = 15;
    private static final double MAX_STROKE = 0.07;       // extra outline thickness / image size
    private static final float REFERENCE_POINTS = 100f;  // outlines are taken at this size, then scaled
    private static final int IMAGES_PER_THREAD = 256;

    private final int size;
    private final Glyphs glyphs;
    private final long seed;
    private final byte[] pixels;   // image i at i·size², 0 = black ... 255 = white
    private final byte[] labels;

    private GlyphDataset(int size, Glyphs glyphs, long seed, byte[] pixels, byte[] labels) {
        this.size = size;
        this.glyphs = glyphs;
        this.seed = seed;
        this.pixels = pixels;
        this.labels = labels;
    }

    /** {@code count} digit images of {@code imageSize × imageSize} in the logical fonts. */
    public static GlyphDataset generate(int count, int imageSize, long seed) {
        return generate(count, imageSize, seed, Glyphs.DIGITS, Fonts.LOGICAL);
    }

    /** {@code count} images of the given glyphs, {@code imageSize × imageSize}, in the logical fonts. */
    public static GlyphDataset generate(int count, int imageSize, long seed, Glyphs glyphs) {
        return generate(count, imageSize, seed, glyphs, Fonts.LOGICAL);
    }

    /**
     * Renders {@code count} images (in parallel on the shared worker pool; the result does not depend on the
     * thread count).
     */
    public static GlyphDataset generate(int count, int imageSize, long seed, Glyphs glyphs, Fonts fonts) {
        if (count < 1) {
            throw new IllegalArgumentException("GlyphDataset: count must be >= 1, got " + count);
        }
        if (imageSize < MIN_SIZE || imageSize > MAX_SIZE) {
            throw new IllegalArgumentException("GlyphDataset: imageSize must be in [" + MIN_SIZE + ", " + MAX_SIZE
                    + "] (28 or 32 are usual), got " + imageSize);
        }
        if ((long) count * imageSize * imageSize > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("GlyphDataset: " + count + " images of " + imageSize + "x" + imageSize
                    + " exceed the 2^31 pixels one dataset holds; generate fewer or smaller images");
        }
        if (glyphs == null || fonts == null) {
            throw new IllegalArgumentException("GlyphDataset: glyphs and fonts must not be null");
        }
        List<Face> faces = faces(glyphs, fonts);
        Shape[] outlines = outlines(faces, glyphs.characters());
        byte[] labels = balancedLabels(count, glyphs.classes(), seed);
        byte[] pixels = new byte[count * imageSize * imageSize];
        WorkerPool.shared().runRange(count, IMAGES_PER_THREAD, (from, to) -> {
            BufferedImage canvas = new BufferedImage(imageSize, imageSize, BufferedImage.TYPE_BYTE_GRAY);
            byte[] canvasPixels = ((DataBufferByte) canvas.getRaster().getDataBuffer()).getData();
            for (int i = (int) from; i < to; i++) {
                SplittableRandom random = new SplittableRandom(mix(seed, i));
                int face = random.nextInt(faces.size());
                draw(canvas, outlines[face * glyphs.classes() + labels[i]], imageSize, random);
                System.arraycopy(canvasPixels, 0, pixels, i * imageSize * imageSize, canvasPixels.length);
            }
        });
        return new GlyphDataset(imageSize, glyphs, seed, pixels, labels);
    }

    /** How many font faces (family and style) the images are drawn with. */
    public static int faceCount(Glyphs glyphs, Fonts fonts) {
        return faces(glyphs, fonts).size();
    }

    /** The faces to draw with, in a fixed order (logical first, then installed families by name). */
    static List<Face> faces(Glyphs glyphs, Fonts fonts) {
        List<String> families = new ArrayList<>(LOGICAL_FAMILIES);
        if (fonts == Fonts.INSTALLED) {
            String[] installed;
            try {
                installed = GraphicsEnvironment.getLocalGraphicsEnvironment().getAvailableFontFamilyNames();
            } catch (RuntimeException | Error e) {
                throw noFonts(e);
            }
            Arrays.sort(installed);
            for (String family : installed) {
                if (!families.contains(family)
                        && new Font(family, Font.PLAIN, 12).canDisplayUpTo(glyphs.characters()) == -1) {
                    families.add(family);
                }
            }
        }
        List<Face> faces = new ArrayList<>();
        for (String family : families) {
            for (int style : STYLES) {
                faces.add(new Face(family, style));
            }
        }
        return faces;
    }

    /** Every glyph's outline in every face at the reference size: index face·classes + class. */
    private static Shape[] outlines(List<Face> faces, String characters) {
        try {
            FontRenderContext context = new FontRenderContext(null, true, true);
            Shape[] outlines = new Shape[faces.size() * characters.length()];
            for (int f = 0; f < faces.size(); f++) {
                Font font = new Font(faces.get(f).family(), faces.get(f).style(), 1).deriveFont(REFERENCE_POINTS);
                for (int c = 0; c < characters.length(); c++) {
                    Shape outline = font.createGlyphVector(context, characters.substring(c, c + 1)).getOutline();
                    if (outline.getBounds2D().isEmpty()) {
                        throw new IllegalStateException("GlyphDataset: font " + faces.get(f) + " draws nothing for '"
                                + characters.charAt(c) + "'; is a font package (fonts-dejavu-core) installed?");
                    }
                    outlines[f * characters.length() + c] = outline;
                }
            }
            return outlines;
        } catch (IllegalStateException e) {
            throw e;
        } catch (RuntimeException | Error e) {
            throw noFonts(e);
        }
    }

    private static IllegalStateException noFonts(Throwable cause) {
        return new IllegalStateException("GlyphDataset: Java2D cannot load any font (" + cause
                + "); install fontconfig and a font package such as fonts-dejavu-core", cause);
    }

    /**
     * Draws one glyph: scaled to a random height (and width stretch), rotated, thickened by a stroke along its
     * outline, then placed at a random offset that keeps it inside the image.
     */
    private static void draw(BufferedImage canvas, Shape outline, int size, SplittableRandom random) {
        double height = size * uniform(random, MIN_HEIGHT, MAX_HEIGHT);
        double stretch = 1 + uniform(random, -MAX_STRETCH, MAX_STRETCH);
        double angle = Math.toRadians(uniform(random, -MAX_ROTATION_DEGREES, MAX_ROTATION_DEGREES));
        float stroke = (float) (size * uniform(random, 0, MAX_STROKE));
        double offsetX = uniform(random, -1, 1);
        double offsetY = uniform(random, -1, 1);

        Rectangle2D box = outline.getBounds2D();
        double scale = height / box.getHeight();
        // Scale and rotate about the glyph's centre, which lands on the origin.
        AffineTransform shapeToOrigin = new AffineTransform();
        shapeToOrigin.rotate(angle);
        shapeToOrigin.scale(scale * stretch, scale);
        shapeToOrigin.translate(-box.getCenterX(), -box.getCenterY());
        Shape glyph = shapeToOrigin.createTransformedShape(outline);
        Rectangle2D placed = glyph.getBounds2D();
        // A glyph wider than the image (a stretched W) is shrunk to fit, stroke included.
        double extent = Math.max(placed.getWidth(), placed.getHeight()) + stroke;
        double limit = size - 2;
        if (extent > limit) {
            double shrink = limit / extent;
            glyph = AffineTransform.getScaleInstance(shrink, shrink).createTransformedShape(glyph);
            stroke *= (float) shrink;
            placed = glyph.getBounds2D();
        }
        double slackX = Math.max(0, (size - placed.getWidth() - stroke) / 2 - 1);
        double slackY = Math.max(0, (size - placed.getHeight() - stroke) / 2 - 1);
        double centerX = size / 2.0 - placed.getCenterX() + offsetX * slackX;
        double centerY = size / 2.0 - placed.getCenterY() + offsetY * slackY;

        Graphics2D g = canvas.createGraphics();
        try {
            g.setColor(Color.BLACK);
            g.fillRect(0, 0, size, size);
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
            g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
            g.translate(centerX, centerY);
            g.setColor(Color.WHITE);
            g.fill(glyph);
            if (stroke > 0.05f) {
                g.setStroke(new BasicStroke(stroke, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
                g.draw(glyph);
            }
        } finally {
            g.dispose();
        }
    }

    private static double uniform(SplittableRandom random, double low, double high) {
        return low + (high - low) * random.nextDouble();
    }

    /** Each class {@code count / classes} or one more times, in a seeded random order. */
    private static byte[] balancedLabels(int count, int classes, long seed) {
        byte[] labels = new byte[count];
        for (int i = 0; i < count; i++) {
            labels[i] = (byte) (i % classes);
        }
        SplittableRandom random = new SplittableRandom(mix(seed, -1));
        for (int i = count - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            byte t = labels[i];
            labels[i] = labels[j];
            labels[j] = t;
        }
        return labels;
    }

    /**
     * The seed of image {@code index}'s random stream: a strong mix of both, so neighbouring images get unrelated
     * streams (seeding SplittableRandom with seed + index directly would make their streams overlap).
     */
    private static long mix(long seed, long index) {
        return stafford13(seed ^ stafford13(index + 0x632BE59BD9B4E019L));
    }

    private static long stafford13(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    public Glyphs glyphs() {
        return glyphs;
    }

    public long seed() {
        return seed;
    }

    @Override
    public int size() {
        return labels.length;
    }

    @Override
    public int channels() {
        return 1;
    }

    @Override
    public int height() {
        return size;
    }

    @Override
    public int width() {
        return size;
    }

    @Override
    public int classes() {
        return glyphs.classes();
    }

    @Override
    public List<String> classNames() {
        return glyphs.characters().chars().mapToObj(c -> String.valueOf((char) c)).toList();
    }

    @Override
    public void image(int index, float[] dst, int offset) {
        BytePixels.copyScaled("GlyphDataset", pixels, labels.length, size * size, index, dst, offset);
    }

    @Override
    public int label(int index) {
        checkIndex(index);
        return labels[index];
    }

    private void checkIndex(int index) {
        BytePixels.checkIndex("GlyphDataset", index, labels.length);
    }

    @Override
    public String toString() {
        return "GlyphDataset[" + labels.length + " images " + size + "x" + size + ", " + glyphs + ", seed " + seed
                + "]";
    }
}
