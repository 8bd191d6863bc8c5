package dev.panamax.models.gpt.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MergeTableTest {

    @Test
    void runsOfOneTokenMergeLeftToRight() {
        // Rule 0: (a, a) -> 10; rule 1: (10, 10) -> 11. "aaaaa" -> [10, 10, a] -> [11, a].
        MergeTable table = new MergeTable(new int[] {1, 10}, new int[] {1, 10}, new int[] {10, 11});
        int[] tokens = {1, 1, 1, 1, 1};
        int n = table.apply(tokens, tokens.length);
        assertArrayEquals(new int[] {11, 1}, Arrays.copyOf(tokens, n));
    }

    @Test
    void heapVersionEqualsGpt2sLoop() {
        Random random = new Random(11);
        for (int trial = 0; trial < 300; trial++) {
            int alphabet = 2 + random.nextInt(4);
            // Random rules over the alphabet and the tokens earlier rules make, in random priority order.
            int rules = 1 + random.nextInt(25);
            int[] lefts = new int[rules];
            int[] rights = new int[rules];
            int[] merged = new int[rules];
            List<Long> used = new ArrayList<>();
            for (int r = 0; r < rules; r++) {
                int pool = alphabet + r;
                long key;
                do {
                    lefts[r] = random.nextInt(pool);
                    rights[r] = random.nextInt(pool);
                    key = PairMap.pack(lefts[r], rights[r]);
                } while (used.contains(key));
                used.add(key);
                merged[r] = alphabet + r;
            }
            // Shuffle priorities, so a rule may use a token that a lower-priority rule makes.
            int[] order = shuffledRange(rules, random);
            MergeTable table = new MergeTable(permute(lefts, order), permute(rights, order), permute(merged, order));
            for (int k = 0; k < 10; k++) {
                int[] tokens = new int[random.nextInt(30)];
                for (int i = 0; i < tokens.length; i++) {
                    tokens[i] = random.nextInt(alphabet);
                }
                int[] expected = gpt2Loop(table, tokens);
                int[] actual = tokens.clone();
                int n = table.apply(actual, actual.length);
                assertArrayEquals(expected, Arrays.copyOf(actual, n), "input " + Arrays.toString(tokens));
            }
        }
    }

    @Test
    void longRunsAreFast() {
        // GPT-2's loop is quadratic on a long run; the heap version handles 100k tokens at once.
        MergeTable table = new MergeTable(new int[] {0, 1, 2}, new int[] {0, 1, 2}, new int[] {1, 2, 3});
        int[] tokens = new int[100_000];
        int n = table.apply(tokens, tokens.length);
        assertEquals(100_000 / 8, n);
    }

    /** GPT-2's bpe(): merge every occurrence of the lowest-ranked pair present, left to right, until none is left. */
    private static int[] gpt2Loop(MergeTable table, int[] input) {
        List<Integer> word = new ArrayList<>(Arrays.stream(input).boxed().toList());
        while (word.size() > 1) {
            int best = -1;
            for (int i = 0; i + 1 < word.size(); i++) {
                int r = table.rank(word.get(i), word.get(i + 1));
                if (r >= 0 && (best < 0 || r < best)) {
                    best = r;
                }
            }
            if (best < 0) {
                break;
            }
            List<Integer> next = new ArrayList<>();
            for (int i = 0; i < word.size(); i++) {
                if (i + 1 < word.size() && word.get(i) == table.left(best) && word.get(i + 1) == table.right(best)) {
                    next.add(table.merged(best));
                    i++;
                } else {
                    next.add(word.get(i));
                }
            }
            word = next;
        }
        return word.stream().mapToInt(Integer::intValue).toArray();
    }

    private static int[] shuffledRange(int n, Random random) {
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

    private static int[] permute(int[] values, int[] order) {
        int[] out = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[order[i]];
        }
        return out;
    }
}
