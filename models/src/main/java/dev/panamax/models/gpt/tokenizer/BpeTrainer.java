package dev.panamax.models.gpt.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * Learns byte-level BPE merge rules from a corpus (Sennrich et al. 2016, on bytes as in GPT-2).
 *
 * <p>The corpus is cut into {@link PreTokenizer} chunks and each distinct chunk becomes a "word": its UTF-8 bytes
 * (token {@code b} is byte {@code b}) with the number of times it occurs. Then, {@code merges} times: the most
 * frequent adjacent pair of tokens becomes a new token ({@code 256 + rule number}) and every occurrence of it is
 * rewritten, left to right. Ties go to the pair with the smaller left id, then the smaller right id, so training
 * is deterministic. Training stops early when no pair occurs at least {@value #MIN_COUNT} times.
 *
 * <p>Recounting every pair after each merge would cost a pass over the corpus per rule. Instead the counts are
 * kept up to date: each pair knows the words it occurs in, a merge revisits only those words (subtracting their old
 * pairs, adding their new ones), and a max-heap holds (count, pair) entries, where an entry whose count is no
 * longer the pair's count is stale and skipped when it surfaces.
 */
final class BpeTrainer {

    /** A pair must occur this often to become a token: one seen once teaches nothing beyond that spot. */
    static final int MIN_COUNT = 2;

    private final int[][] words;          // the tokens of each distinct chunk (rewritten in place by merges)
    private final int[] lengths;          // how many of words[w] are in use
    private final long[] weights;         // how often each chunk occurs in the corpus
    private final int[] lastVisited;      // the merge that last rewrote word w, so a word is visited once per merge
    private final PairMap pairCounts = new PairMap(1 << 16);
    private final PairMap pairWordsIndex = new PairMap(1 << 16);   // pair -> index into pairWords
    private final List<IntList> pairWords = new ArrayList<>();     // the words a pair occurs (or occurred) in
    private final PairMap touchedAt = new PairMap(1 << 12);        // pair -> the merge whose count change queued it
    private final PriorityQueue<Candidate> heap = new PriorityQueue<>(Candidate.ORDER);

    private record Candidate(long count, int left, int right) {
        /** Most frequent first; ties by smaller left id, then smaller right id. */
        static final Comparator<Candidate> ORDER = Comparator.comparingLong(Candidate::count).reversed()
                .thenComparingInt(Candidate::left).thenComparingInt(Candidate::right);
    }

    /** The merge rules learned from the chunks of {@code texts}: {@code [lefts, rights]}, at most {@code merges} long. */
    static int[][] train(List<String> texts, int merges) {
        return new BpeTrainer(texts).run(merges);
    }

    private BpeTrainer(List<String> texts) {
        Map<String, long[]> chunkCounts = new HashMap<>();
        for (String text : texts) {
            PreTokenizer.split(text, 0, text.length(),
                    chunk -> chunkCounts.computeIfAbsent(chunk, c -> new long[1])[0]++);
        }
        int n = chunkCounts.size();
        words = new int[n][];
        lengths = new int[n];
        weights = new long[n];
        lastVisited = new int[n];
        Arrays.fill(lastVisited, -1);
        int w = 0;
        for (Map.Entry<String, long[]> e : chunkCounts.entrySet()) {
            byte[] bytes = e.getKey().getBytes(StandardCharsets.UTF_8);
            int[] tokens = new int[bytes.length];
            for (int i = 0; i < bytes.length; i++) {
                tokens[i] = bytes[i] & 0xff;
            }
            words[w] = tokens;
            lengths[w] = tokens.length;
            weights[w] = e.getValue()[0];
            for (int i = 0; i + 1 < tokens.length; i++) {
                pairCounts.add(tokens[i], tokens[i + 1], weights[w]);
                wordsOf(tokens[i], tokens[i + 1]).add(w);
            }
            w++;
        }
        pairCounts.forEach((left, right, count) -> heap.add(new Candidate(count, left, right)));
    }

    private int[][] run(int merges) {
        int[] lefts = new int[merges];
        int[] rights = new int[merges];
        int done = 0;
        while (done < merges) {
            Candidate best = nextBest();
            if (best == null) {
                break;
            }
            lefts[done] = best.left();
            rights[done] = best.right();
            merge(done, best.left(), best.right(), 256 + done);
            done++;
        }
        return new int[][] {Arrays.copyOf(lefts, done), Arrays.copyOf(rights, done)};
    }

    /** The most frequent pair, skipping stale heap entries; null when none occurs {@value #MIN_COUNT} times. */
    private Candidate nextBest() {
        Candidate c;
        while ((c = heap.poll()) != null) {
            long current = pairCounts.get(c.left(), c.right(), 0);
            if (current == c.count()) {
                return current >= MIN_COUNT ? c : null;
            }
        }
        return null;
    }

    /** Rule {@code rule}: rewrites every {@code (a, b)} as {@code merged} and updates the counts it changes. */
    private void merge(int rule, int a, int b, int merged) {
        IntList candidates = wordsOf(a, b);
        List<Long> touched = new ArrayList<>();
        for (int k = 0; k < candidates.size(); k++) {
            int w = candidates.get(k);
            if (lastVisited[w] == rule) {
                continue;
            }
            lastVisited[w] = rule;
            int[] tokens = words[w];
            int length = lengths[w];
            if (!containsPair(tokens, length, a, b)) {
                continue;               // the word's (a, b) was consumed by an earlier merge
            }
            long weight = weights[w];
            addPairs(rule, tokens, length, -weight, touched);
            int n = 0;
            for (int i = 0; i < length; i++) {
                if (i + 1 < length && tokens[i] == a && tokens[i + 1] == b) {
                    tokens[n++] = merged;
                    i++;
                } else {
                    tokens[n++] = tokens[i];
                }
            }
            lengths[w] = n;
            addPairs(rule, tokens, n, weight, touched);
            for (int i = 0; i + 1 < n; i++) {
                if (tokens[i] == merged || tokens[i + 1] == merged) {
                    wordsOf(tokens[i], tokens[i + 1]).add(w);   // only pairs with the new token are new to w
                }
            }
        }
        for (long pair : touched) {
            int left = PairMap.left(pair);
            int right = PairMap.right(pair);
            long count = pairCounts.get(left, right, 0);
            if (count >= MIN_COUNT) {
                heap.add(new Candidate(count, left, right));
            }
        }
    }

    /** Adds {@code delta} to the count of every adjacent pair of the word, noting each pair once per rule. */
    private void addPairs(int rule, int[] tokens, int length, long delta, List<Long> touched) {
        for (int i = 0; i + 1 < length; i++) {
            pairCounts.add(tokens[i], tokens[i + 1], delta);
            if (touchedAt.get(tokens[i], tokens[i + 1], -1) != rule) {
                touchedAt.put(tokens[i], tokens[i + 1], rule);
                touched.add(PairMap.pack(tokens[i], tokens[i + 1]));
            }
        }
    }

    private static boolean containsPair(int[] tokens, int length, int a, int b) {
        for (int i = 0; i + 1 < length; i++) {
            if (tokens[i] == a && tokens[i + 1] == b) {
                return true;
            }
        }
        return false;
    }

    private IntList wordsOf(int left, int right) {
        long index = pairWordsIndex.get(left, right, -1);
        if (index < 0) {
            index = pairWords.size();
            pairWords.add(new IntList(4));
            pairWordsIndex.put(left, right, index);
        }
        return pairWords.get((int) index);
    }
}
