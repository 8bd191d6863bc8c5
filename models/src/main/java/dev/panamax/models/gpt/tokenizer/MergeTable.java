package dev.panamax.models.gpt.tokenizer;

import java.util.Arrays;

/**
 * BPE's merge rules, in priority order: rule {@code r} says "where token {@code left} is followed by token
 * {@code right}, write token {@code merged}", and a lower rank is applied first. {@link #apply} runs them over one
 * pre-tokenized chunk exactly as GPT-2's {@code bpe()} does.
 */
final class MergeTable {

    private final PairMap rankOfPair;
    private final int[] lefts;
    private final int[] rights;
    private final int[] merged;

    /**
     * @param lefts  {@code lefts[r]}: the left token of rule {@code r}
     * @param rights {@code rights[r]}: its right token
     * @param merged {@code merged[r]}: the token the pair becomes
     */
    MergeTable(int[] lefts, int[] rights, int[] merged) {
        if (lefts.length != rights.length || lefts.length != merged.length) {
            throw new IllegalArgumentException("MergeTable: " + lefts.length + " lefts, " + rights.length
                    + " rights and " + merged.length + " results: expected one of each per rule");
        }
        this.lefts = lefts.clone();
        this.rights = rights.clone();
        this.merged = merged.clone();
        this.rankOfPair = new PairMap(lefts.length);
        for (int r = 0; r < lefts.length; r++) {
            // A repeated pair keeps its first (highest-priority) rank, as GPT-2's dict(zip(merges, range)) does not:
            // there the last wins. Neither GPT-2's file nor a trained table repeats a pair; the loaders reject it.
            if (rankOfPair.get(lefts[r], rights[r], -1) < 0) {
                rankOfPair.put(lefts[r], rights[r], r);
            }
        }
    }

    int size() {
        return lefts.length;
    }

    int left(int rank) {
        return lefts[rank];
    }

    int right(int rank) {
        return rights[rank];
    }

    int merged(int rank) {
        return merged[rank];
    }

    /** The rank of the rule for {@code (left, right)}, or -1 when no rule merges them. */
    int rank(int left, int right) {
        return (int) rankOfPair.get(left, right, -1);
    }

    /**
     * Applies the rules to {@code tokens[0, length)} in place and returns the new length.
     *
     * <p>GPT-2's loop: find the adjacent pair with the lowest rank, merge every occurrence of it from left to right
     * (a run {@code a a a} becomes {@code aa a}), and repeat until no adjacent pair has a rule. Done literally that
     * costs O(n²) for a chunk of n bytes, which a long run of digits or spaces makes slow. Here the chunk is a
     * linked list and the candidate pairs sit in a min-heap ordered by (rank, position): each round drains every
     * entry of the lowest rank, left to right, and applies those still valid. Merging creates pairs of other ranks
     * only (a pair of rank r cannot contain the token that rule r makes), so a round sees exactly the occurrences
     * GPT-2's pass sees, and the result is identical, in O(n log n).
     */
    int apply(int[] tokens, int length) {
        if (length < 2) {
            return length;
        }
        int[] next = new int[length];
        int[] prev = new int[length];
        for (int i = 0; i < length; i++) {
            next[i] = i + 1 < length ? i + 1 : -1;
            prev[i] = i - 1;
        }
        boolean[] removed = new boolean[length];
        LongHeap heap = new LongHeap(length);
        for (int i = 0; i + 1 < length; i++) {
            int r = rank(tokens[i], tokens[i + 1]);
            if (r >= 0) {
                heap.push(entry(r, i));
            }
        }
        int[] round = new int[length];
        while (!heap.isEmpty()) {
            int r = rankOf(heap.peek());
            int count = 0;
            while (!heap.isEmpty() && rankOf(heap.peek()) == r) {
                round[count++] = positionOf(heap.pop());
            }
            for (int k = 0; k < count; k++) {
                int i = round[k];
                int j = removed[i] ? -1 : next[i];
                if (j < 0 || tokens[i] != lefts[r] || tokens[j] != rights[r]) {
                    continue;       // overlapped by an earlier merge of this round (a a a), or changed since
                }
                tokens[i] = merged[r];
                removed[j] = true;
                next[i] = next[j];
                if (next[j] >= 0) {
                    prev[next[j]] = i;
                }
                if (prev[i] >= 0) {
                    int before = rank(tokens[prev[i]], tokens[i]);
                    if (before >= 0) {
                        heap.push(entry(before, prev[i]));
                    }
                }
                if (next[i] >= 0) {
                    int after = rank(tokens[i], tokens[next[i]]);
                    if (after >= 0) {
                        heap.push(entry(after, i));
                    }
                }
            }
        }
        int n = 0;
        for (int i = 0; i >= 0; i = next[i]) {
            tokens[n++] = tokens[i];
        }
        return n;
    }

    private static long entry(int rank, int position) {
        return ((long) rank << 32) | position;
    }

    private static int rankOf(long entry) {
        return (int) (entry >>> 32);
    }

    private static int positionOf(long entry) {
        return (int) entry;
    }

    /** A binary min-heap of longs (rank in the high half, position in the low half). */
    private static final class LongHeap {
        private long[] items;
        private int size;

        LongHeap(int capacity) {
            items = new long[Math.max(4, capacity)];
        }

        boolean isEmpty() {
            return size == 0;
        }

        long peek() {
            return items[0];
        }

        void push(long item) {
            if (size == items.length) {
                items = Arrays.copyOf(items, size * 2);
            }
            int i = size++;
            while (i > 0) {
                int parent = (i - 1) >>> 1;
                if (items[parent] <= item) {
                    break;
                }
                items[i] = items[parent];
                i = parent;
            }
            items[i] = item;
        }

        long pop() {
            long top = items[0];
            long last = items[--size];
            int i = 0;
            while (true) {
                int child = 2 * i + 1;
                if (child >= size) {
                    break;
                }
                if (child + 1 < size && items[child + 1] < items[child]) {
                    child++;
                }
                if (last <= items[child]) {
                    break;
                }
                items[i] = items[child];
                i = child;
            }
            items[i] = last;
            return top;
        }
    }
}
