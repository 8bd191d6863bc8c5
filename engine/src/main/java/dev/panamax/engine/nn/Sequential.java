package dev.panamax.engine.nn;

import dev.panamax.engine.autograd.Tape;
import dev.panamax.engine.autograd.Var;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Layers applied in order; its parameters are theirs, in order, and their names must not collide. */
public final class Sequential implements Layer {

    private final List<Layer> layers;

    public Sequential(Layer... layers) {
        this.layers = List.of(layers);
        Set<String> names = new HashSet<>();
        for (Parameter p : parameters()) {
            if (!names.add(p.name())) {
                throw new IllegalArgumentException("Sequential: two parameters are named " + p.name());
            }
        }
    }

    @Override
    public Var forward(Tape tape, Var x) {
        Var h = x;
        for (Layer layer : layers) {
            h = layer.forward(tape, h);
        }
        return h;
    }

    @Override
    public List<Parameter> parameters() {
        List<Parameter> all = new ArrayList<>();
        for (Layer layer : layers) {
            all.addAll(layer.parameters());
        }
        return all;
    }
}
