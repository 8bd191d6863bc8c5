package dev.panamax.engine.optim;

/**
 * The learning rate as a function of the step, set on the optimizer before each step:
 * {@code optimizer.setLearningRate(schedule.lr(step))}. A pure function of the step, so a resumed run follows the
 * same curve without saving anything about the schedule.
 */
@FunctionalInterface
public interface LearningRateSchedule {

    /** The learning rate for step {@code step}, counting from 0. */
    double lr(long step);

    /** The same rate at every step. */
    static LearningRateSchedule constant(double lr) {
        HyperParameters.learningRate("LearningRateSchedule.constant", lr);
        return step -> lr;
    }
}
