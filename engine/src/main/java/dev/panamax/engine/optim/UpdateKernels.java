package dev.panamax.engine.optim;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The element-wise update loops of the optimizers and of gradient clipping, over whole parameter buffers.
 *
 * <p>Each loop runs full vectors and then a scalar tail that performs exactly the same IEEE operations (fused
 * multiply-adds where the vector code fuses, the same operand order), so an element's result does not depend on
 * whether it fell in the vector part or the tail, nor on whether the code ran interpreted or JIT-compiled. Only
 * operations that are exactly rounded are used (add, mul, div, fma, sqrt): the Vector API's transcendental
 * lanewise operations (EXP, POW, ...) round differently in C2's intrinsics and in the interpreter.
 *
 * <p>The loops are memory-bound (an AdamW step reads 4 and writes 3 floats per parameter) and run on the calling
 * thread. They allocate nothing once compiled, which {@code OptimizerAllocationTest} checks.
 */
final class UpdateKernels {

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int V = F.length();
    /** Doubles for the sum of squares, fed by floats of half the bit width, so one float vector fills one double vector. */
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Float> F_HALF =
            VectorSpecies.of(float.class, VectorShape.forBitSize(D.vectorBitSize() / 2));
    private static final int DV = D.length();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT;

    private UpdateKernels() {
    }

    /** Plain SGD: {@code p -= lr·(g + l2·p)}. */
    static void sgd(MemorySegment p, MemorySegment g, long n, float lr, float l2) {
        FloatVector negLr = FloatVector.broadcast(F, -lr);
        FloatVector l2v = FloatVector.broadcast(F, l2);
        long vectorEnd = n - n % V;
        for (long i = 0; i < vectorEnd; i += V) {
            long at = i * Float.BYTES;
            FloatVector pv = FloatVector.fromMemorySegment(F, p, at, ORDER);
            FloatVector d = pv.fma(l2v, FloatVector.fromMemorySegment(F, g, at, ORDER));
            d.fma(negLr, pv).intoMemorySegment(p, at, ORDER);
        }
        for (long i = vectorEnd; i < n; i++) {
            float pi = p.getAtIndex(FLOAT, i);
            float d = Math.fma(pi, l2, g.getAtIndex(FLOAT, i));
            p.setAtIndex(FLOAT, i, Math.fma(d, -lr, pi));
        }
    }

    /**
     * SGD with momentum, as PyTorch: {@code d = g + l2·p; buf = momentum·buf + d; p -= lr·(nesterov ? d +
     * momentum·buf : buf)}. With {@code buf} starting at zero, the first step sets {@code buf = d} exactly.
     */
    static void sgdMomentum(MemorySegment p, MemorySegment g, MemorySegment buf, long n,
                            float lr, float l2, float momentum, boolean nesterov) {
        FloatVector negLr = FloatVector.broadcast(F, -lr);
        FloatVector l2v = FloatVector.broadcast(F, l2);
        FloatVector mu = FloatVector.broadcast(F, momentum);
        long vectorEnd = n - n % V;
        for (long i = 0; i < vectorEnd; i += V) {
            long at = i * Float.BYTES;
            FloatVector pv = FloatVector.fromMemorySegment(F, p, at, ORDER);
            FloatVector d = pv.fma(l2v, FloatVector.fromMemorySegment(F, g, at, ORDER));
            FloatVector b = FloatVector.fromMemorySegment(F, buf, at, ORDER).fma(mu, d);
            b.intoMemorySegment(buf, at, ORDER);
            FloatVector direction = nesterov ? b.fma(mu, d) : b;
            direction.fma(negLr, pv).intoMemorySegment(p, at, ORDER);
        }
        for (long i = vectorEnd; i < n; i++) {
            float pi = p.getAtIndex(FLOAT, i);
            float d = Math.fma(pi, l2, g.getAtIndex(FLOAT, i));
            float b = Math.fma(buf.getAtIndex(FLOAT, i), momentum, d);
            buf.setAtIndex(FLOAT, i, b);
            float direction = nesterov ? Math.fma(b, momentum, d) : b;
            p.setAtIndex(FLOAT, i, Math.fma(direction, -lr, pi));
        }
    }

    /** Adagrad, as the course writes it: {@code g += l2·p; sum += g²; p -= lr·g / sqrt(sum + eps)}. */
    static void adagrad(MemorySegment p, MemorySegment g, MemorySegment sum, long n, float lr, float l2, float eps) {
        FloatVector negLr = FloatVector.broadcast(F, -lr);
        FloatVector l2v = FloatVector.broadcast(F, l2);
        FloatVector epsv = FloatVector.broadcast(F, eps);
        long vectorEnd = n - n % V;
        for (long i = 0; i < vectorEnd; i += V) {
            long at = i * Float.BYTES;
            FloatVector pv = FloatVector.fromMemorySegment(F, p, at, ORDER);
            FloatVector gv = pv.fma(l2v, FloatVector.fromMemorySegment(F, g, at, ORDER));
            FloatVector s = gv.fma(gv, FloatVector.fromMemorySegment(F, sum, at, ORDER));
            s.intoMemorySegment(sum, at, ORDER);
            gv.div(s.add(epsv).sqrt()).fma(negLr, pv).intoMemorySegment(p, at, ORDER);
        }
        for (long i = vectorEnd; i < n; i++) {
            float pi = p.getAtIndex(FLOAT, i);
            float gi = Math.fma(pi, l2, g.getAtIndex(FLOAT, i));
            float s = Math.fma(gi, gi, sum.getAtIndex(FLOAT, i));
            sum.setAtIndex(FLOAT, i, s);
            p.setAtIndex(FLOAT, i, Math.fma(gi / (float) Math.sqrt(s + eps), -lr, pi));
        }
    }

    /**
     * Adam / AdamW, as PyTorch's single-tensor path: {@code g += l2·p; p *= decayFactor; m = β1·m + (1−β1)·g;
     * v = β2·v + (1−β2)·g²; p -= stepSize · m / (sqrt(v) / sqrtBiasCorrection2 + eps)}, where Adam passes the
     * L2 coefficient and AdamW the decoupled factor {@code 1 − lr·weightDecay} (the other being 0 or 1), and
     * {@code stepSize = lr / (1 − β1^t)}. {@code 1 − β} comes from the caller, computed in double (in
     * float, {@code 1f − 0.9f} is 0.100000024).
     */
    static void adam(MemorySegment p, MemorySegment g, MemorySegment m, MemorySegment v, long n,
                     float l2, float decayFactor, float beta1, float oneMinusBeta1, float beta2,
                     float oneMinusBeta2, float stepSize, float sqrtBiasCorrection2, float eps) {
        FloatVector l2v = FloatVector.broadcast(F, l2);
        FloatVector decay = FloatVector.broadcast(F, decayFactor);
        FloatVector b1 = FloatVector.broadcast(F, beta1);
        FloatVector b2 = FloatVector.broadcast(F, beta2);
        FloatVector c1 = FloatVector.broadcast(F, oneMinusBeta1);
        FloatVector c2 = FloatVector.broadcast(F, oneMinusBeta2);
        FloatVector negStep = FloatVector.broadcast(F, -stepSize);
        FloatVector bc2 = FloatVector.broadcast(F, sqrtBiasCorrection2);
        FloatVector epsv = FloatVector.broadcast(F, eps);
        long vectorEnd = n - n % V;
        for (long i = 0; i < vectorEnd; i += V) {
            long at = i * Float.BYTES;
            FloatVector pv = FloatVector.fromMemorySegment(F, p, at, ORDER);
            FloatVector gv = pv.fma(l2v, FloatVector.fromMemorySegment(F, g, at, ORDER));
            pv = pv.mul(decay);
            FloatVector mv = FloatVector.fromMemorySegment(F, m, at, ORDER).fma(b1, gv.mul(c1));
            FloatVector vv = FloatVector.fromMemorySegment(F, v, at, ORDER).fma(b2, gv.mul(gv).mul(c2));
            mv.intoMemorySegment(m, at, ORDER);
            vv.intoMemorySegment(v, at, ORDER);
            FloatVector denominator = vv.sqrt().div(bc2).add(epsv);
            mv.div(denominator).fma(negStep, pv).intoMemorySegment(p, at, ORDER);
        }
        for (long i = vectorEnd; i < n; i++) {
            float pi = p.getAtIndex(FLOAT, i);
            float gi = Math.fma(pi, l2, g.getAtIndex(FLOAT, i));
            pi = pi * decayFactor;
            float mi = Math.fma(m.getAtIndex(FLOAT, i), beta1, gi * oneMinusBeta1);
            float vi = Math.fma(v.getAtIndex(FLOAT, i), beta2, gi * gi * oneMinusBeta2);
            m.setAtIndex(FLOAT, i, mi);
            v.setAtIndex(FLOAT, i, vi);
            float denominator = (float) Math.sqrt(vi) / sqrtBiasCorrection2 + eps;
            p.setAtIndex(FLOAT, i, Math.fma(mi / denominator, -stepSize, pi));
        }
    }

    /** {@code x *= factor}. */
    static void scale(MemorySegment x, long n, float factor) {
        FloatVector f = FloatVector.broadcast(F, factor);
        long vectorEnd = n - n % V;
        for (long i = 0; i < vectorEnd; i += V) {
            long at = i * Float.BYTES;
            FloatVector.fromMemorySegment(F, x, at, ORDER).mul(f).intoMemorySegment(x, at, ORDER);
        }
        for (long i = vectorEnd; i < n; i++) {
            x.setAtIndex(FLOAT, i, x.getAtIndex(FLOAT, i) * factor);
        }
    }

    /**
     * {@code Σ x²} in double precision: float lanes are widened exactly, each double lane accumulates its own
     * elements with fused multiply-adds, and the lanes and the tail are added in a fixed order, so the sum is the
     * same wherever and however the code runs. (Float accumulation would lose digits on millions of elements.)
     */
    static double sumOfSquares(MemorySegment x, long n) {
        DoubleVector acc = DoubleVector.zero(D);
        long vectorEnd = n - n % DV;
        for (long i = 0; i < vectorEnd; i += DV) {
            DoubleVector d = (DoubleVector) FloatVector.fromMemorySegment(F_HALF, x, i * Float.BYTES, ORDER)
                    .convertShape(VectorOperators.F2D, D, 0);
            acc = d.fma(d, acc);
        }
        double sum = 0;
        for (int lane = 0; lane < DV; lane++) {
            sum += acc.lane(lane);
        }
        for (long i = vectorEnd; i < n; i++) {
            double xi = x.getAtIndex(FLOAT, i);
            sum = Math.fma(xi, xi, sum);
        }
        return sum;
    }
}
