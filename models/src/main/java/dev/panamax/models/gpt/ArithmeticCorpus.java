package dev.panamax.models.gpt;

import dev.panamax.models.gpt.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A synthetic language the project generates itself, for the demo and the tests: lines {@code a+b=c} with
 * {@code a, b} below {@code limit} and {@code c} their sum, one per line, in a seeded random order. A model that
 * learns it must pick up the format (digits, '+', digits, '=', newline) quickly and the sums themselves, which
 * is visibly checkable: {@link #score} asks for the sum of prompts {@code "a+b="} and counts the right answers.
 */
public final class ArithmeticCorpus {

    private final int limit;

    /** Operands in [0, limit). */
    public ArithmeticCorpus(int limit) {
        if (limit < 2 || limit > 1000) {
            throw new IllegalArgumentException("ArithmeticCorpus: limit must be in [2, 1000], got " + limit);
        }
        this.limit = limit;
    }

    /** The character vocabulary of the language: digits, '+', '=' and the newline. */
    public static dev.panamax.models.gpt.tokenizer.CharTokenizer tokenizer() {
        return dev.panamax.models.gpt.tokenizer.CharTokenizer.fromCorpus("0123456789+=\n");
    }

    /** A model that learns single-digit sums in a few hundred steps: 2 layers, 2 heads, width 64, block 32. */
    public static GptConfig modelConfig() {
        return new GptConfig(tokenizer().vocabSize(), 32, 2, 2, 64, 0f, true);
    }

    /** The recipe: batch 16, lr 1e-2 (a tiny model tolerates a large one) cosine to 1e-3, 20 warmup steps. */
    public static TrainingSettings trainingSettings(int iters) {
        return new TrainingSettings(16, iters, 1e-2, 1e-3, Math.min(20, iters / 2), iters, Math.max(1, iters / 4), 5,
                1, 0.1, 0.9, 0.99, 1.0, 0.1, 1);
    }

    /** {@code lines} random lines {@code a+b=c\n}. */
    public String text(int lines, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < lines; i++) {
            int a = random.nextInt(limit);
            int b = random.nextInt(limit);
            s.append(a).append('+').append(b).append('=').append(a + b).append('\n');
        }
        return s.toString();
    }

    /** The result of {@link #score}: the lines the model completed, and how many are right. */
    public record Score(List<String> lines, int correct) {
        public double accuracy() {
            return (double) correct / lines.size();
        }
    }

    /**
     * Asks the model for {@code count} random sums (prompt {@code "\na+b="}, greedy decoding up to the newline)
     * and checks them.
     */
    public Score score(GptGenerator generator, Tokenizer tokenizer, int count, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<String> lines = new ArrayList<>();
        int correct = 0;
        int newline = tokenizer.encode("\n")[0];
        for (int i = 0; i < count; i++) {
            int a = random.nextInt(limit);
            int b = random.nextInt(limit);
            String prompt = a + "+" + b + "=";
            GptGenerator.Result result = generator.generate("\n" + prompt,
                    new GptGenerator.Settings(String.valueOf(2 * limit).length() + 1, 1f, 1, 1f, seed, false),
                    (id, bytes) -> { });
            StringBuilder answer = new StringBuilder();
            for (int id : result.tokens()) {
                if (id == newline) {
                    break;
                }
                answer.append(tokenizer.decode(new int[] {id}));
            }
            boolean right = answer.toString().equals(Integer.toString(a + b));
            correct += right ? 1 : 0;
            lines.add(prompt + answer + (right ? "" : "   (should be " + (a + b) + ")"));
        }
        return new Score(lines, correct);
    }
}
