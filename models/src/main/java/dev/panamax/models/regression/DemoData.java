package dev.panamax.models.regression;

import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The embedded demo datasets. Both are <b>synthetic</b>: generated here from a fixed seed, shaped after the
 * course's examples, not real game data.
 *
 * <ul>
 *   <li>{@link #pokemonCp()}: a Pokémon's combat power after evolution from its species, CP before, HP, weight
 *       and height. CP after is about a species-dependent multiple of CP before (Eevee ×2.9, Pidgey ×1.8,
 *       Caterpie and Weedle ×1.07), slightly convex, plus noise that grows with CP; HP adds a little beyond
 *       what CP already says; weight and height are irrelevant. With CP alone, the species mix looks like
 *       noise, which is why higher polynomial degrees overfit a small training set, and why the species
 *       (one-hot) helps most.</li>
 *   <li>{@link #pokemonTypes()}: water against normal types by their six base stats. Water types have higher
 *       defense and special attack, normal types more HP and speed; the classes overlap, as in the course,
 *       so no classifier is perfect.</li>
 * </ul>
 */
public final class DemoData {

    /** The seed both datasets are generated from. */
    public static final long SEED = 20230224L;
    public static final int POKEMON_CP_ROWS = 60;
    public static final int POKEMON_TYPES_ROWS = 200;

    private record Species(String name, double weight, double multiplier, double maxCp, double hpPerRootCp,
                           double kg, double metres) {
    }

    private static final Species[] SPECIES = {
        new Species("Pidgey", 0.40, 1.80, 520, 3.2, 1.8, 0.30),
        new Species("Eevee", 0.20, 2.90, 650, 3.6, 6.5, 0.30),
        new Species("Caterpie", 0.20, 1.07, 260, 3.9, 2.9, 0.30),
        new Species("Weedle", 0.20, 1.07, 260, 3.7, 3.2, 0.30),
    };

    private DemoData() {
    }

    /** The Pokémon CP data as CSV text: species, cp_before, hp, weight, height, cp_after. */
    public static String pokemonCpCsv() {
        SplittableRandom random = new SplittableRandom(SEED);
        StringBuilder csv = new StringBuilder("species,cp_before,hp,weight,height,cp_after\n");
        for (int i = 0; i < POKEMON_CP_ROWS; i++) {
            Species s = pick(random);
            double u = random.nextDouble();
            double cp = Math.round(10 + (s.maxCp - 10) * u * u);                  // more young Pokémon than old
            double hp = Math.max(10, Math.round(s.hpPerRootCp * Math.sqrt(cp) + 10 + 4 * random.nextGaussian()));
            double hpExcess = hp - (s.hpPerRootCp * Math.sqrt(cp) + 10);
            double weight = s.kg * Math.exp(0.25 * random.nextGaussian());
            double height = s.metres * Math.exp(0.12 * random.nextGaussian());
            double after = s.multiplier * cp * (1 + 0.00025 * cp) + 1.5 * hpExcess
                    + 0.06 * s.multiplier * cp * random.nextGaussian() + 4 * random.nextGaussian();
            csv.append(String.format(Locale.ROOT, "%s,%.0f,%.0f,%.1f,%.2f,%.0f%n", s.name, cp, hp, weight, height,
                    (double) Math.max(10, Math.round(after))));
        }
        return csv.toString();
    }

    private static Species pick(SplittableRandom random) {
        double u = random.nextDouble();
        for (Species s : SPECIES) {
            u -= s.weight;
            if (u < 0) {
                return s;
            }
        }
        return SPECIES[SPECIES.length - 1];
    }

    /** The water-or-normal data as CSV text: type, hp, attack, defense, sp_attack, sp_defense, speed. */
    public static String pokemonTypesCsv() {
        SplittableRandom random = new SplittableRandom(SEED + 1);
        StringBuilder csv = new StringBuilder("type,hp,attack,defense,sp_attack,sp_defense,speed\n");
        for (int i = 0; i < POKEMON_TYPES_ROWS; i++) {
            boolean water = random.nextDouble() < 0.56;
            // defense and special defense are correlated within a type (ρ = 0.5), as base stats tend to be
            double a = random.nextGaussian();
            double b = 0.5 * a + Math.sqrt(0.75) * random.nextGaussian();
            double hp = water ? 68 + 18 * random.nextGaussian() : 78 + 24 * random.nextGaussian();
            double attack = water ? 72 + 24 * random.nextGaussian() : 74 + 26 * random.nextGaussian();
            double defense = water ? 78 + 24 * a : 58 + 18 * a;
            double spAttack = water ? 74 + 24 * random.nextGaussian() : 55 + 18 * random.nextGaussian();
            double spDefense = water ? 70 + 22 * b : 62 + 20 * b;
            double speed = water ? 64 + 22 * random.nextGaussian() : 72 + 24 * random.nextGaussian();
            csv.append(String.format(Locale.ROOT, "%s,%d,%d,%d,%d,%d,%d%n", water ? "water" : "normal", stat(hp),
                    stat(attack), stat(defense), stat(spAttack), stat(spDefense), stat(speed)));
        }
        return csv.toString();
    }

    private static long stat(double v) {
        return Math.max(5, Math.min(230, Math.round(v)));
    }

    public static CsvTable pokemonCp() {
        return CsvTable.parse(pokemonCpCsv(), "embedded Pokémon CP data (synthetic)");
    }

    public static CsvTable pokemonTypes() {
        return CsvTable.parse(pokemonTypesCsv(), "embedded Pokémon type data (synthetic)");
    }
}
