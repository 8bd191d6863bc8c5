package dev.panamax.models.gpt.tokenizer;

import java.util.Arrays;

/**
 * A hash map from a pair of token ids {@code (left, right)} to a {@code long}, with open addressing over two
 * primitive arrays. BPE looks pairs up millions of times (encoding) and updates their counts millions of times
 * (training); a {@code HashMap<Long, Long>} would allocate a box for every one of those.
 *
 * <p>Entries are never removed (a count that falls to zero stays as zero), which keeps probing simple.
 */
final class PairMap {

    private static final long EMPTY = Long.MIN_VALUE;   // no pair packs to this: ids are non-negative

    private long[] keys;
    private long[] values;
    private int size;
    private int mask;
    private int shift;

    PairMap(int expectedSize) {
        int capacity = Integer.highestOneBit(Math.max(16, expectedSize * 2 - 1)) << 1;
        allocate(capacity);
    }

    static long pack(int left, int right) {
        return ((long) left << 32) | (right & 0xffffffffL);
    }

    static int left(long pair) {
        return (int) (pair >>> 32);
    }

    static int right(long pair) {
        return (int) pair;
    }

    int size() {
        return size;
    }

    /** The value of {@code (left, right)}, or {@code missing} when the pair has none. */
    long get(int left, int right, long missing) {
        long key = pack(left, right);
        for (int slot = slot(key); ; slot = (slot + 1) & mask) {
            long k = keys[slot];
            if (k == key) {
                return values[slot];
            }
            if (k == EMPTY) {
                return missing;
            }
        }
    }

    void put(int left, int right, long value) {
        int slot = findOrInsert(pack(left, right));   // may grow the arrays: index them only after
        values[slot] = value;
    }

    /** Adds {@code delta} to the pair's value (a missing pair counts as 0) and returns the new value. */
    long add(int left, int right, long delta) {
        int slot = findOrInsert(pack(left, right));
        return values[slot] += delta;
    }

    /** Calls {@code visitor} for every entry, in slot order. */
    void forEach(EntryVisitor visitor) {
        for (int slot = 0; slot < keys.length; slot++) {
            if (keys[slot] != EMPTY) {
                visitor.visit(left(keys[slot]), right(keys[slot]), values[slot]);
            }
        }
    }

    @FunctionalInterface
    interface EntryVisitor {
        void visit(int left, int right, long value);
    }

    private int findOrInsert(long key) {
        for (int slot = slot(key); ; slot = (slot + 1) & mask) {
            long k = keys[slot];
            if (k == key) {
                return slot;
            }
            if (k == EMPTY) {
                if ((size + 1) * 2 > keys.length) {     // keep the load factor at most 1/2
                    grow();
                    return findOrInsert(key);
                }
                keys[slot] = key;
                size++;
                return slot;
            }
        }
    }

    private int slot(long key) {
        long h = key * 0x9E3779B97F4A7C15L;            // Fibonacci hashing mixes both ids into the high bits
        return (int) (h >>> shift);
    }

    private void grow() {
        long[] oldKeys = keys;
        long[] oldValues = values;
        allocate(oldKeys.length * 2);
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldKeys[i] != EMPTY) {
                int slot = findOrInsert(oldKeys[i]);
                values[slot] = oldValues[i];
            }
        }
    }

    private void allocate(int capacity) {
        keys = new long[capacity];
        Arrays.fill(keys, EMPTY);
        values = new long[capacity];
        mask = capacity - 1;
        shift = 64 - Integer.numberOfTrailingZeros(capacity);
        size = 0;
    }
}
