package dev.panamax.engine.nn;

import dev.panamax.engine.autograd.Tape;
import dev.panamax.engine.autograd.Var;

/** A module that maps one Var to another, so layers compose in a {@link Sequential}. */
public interface Layer extends Module {

    Var forward(Tape tape, Var x);
}
