package dev.panamax.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.openjdk.jmh.annotations.Fork;

/**
 * Java annotations cannot read the pom, so the benchmarks' {@code @Fork(jvmArgsAppend)} repeats the project's JVM
 * flags for anyone who runs them through plain JMH. This keeps that copy equal to the one definition,
 * {@code panamax.jvm.flags} in the parent pom (which reaches the classpath through panamax-bench.properties).
 */
class ForkFlagsTest {

    @ParameterizedTest
    @ValueSource(classes = {GemmBenchmark.class, PeakFlopsBenchmark.class})
    void forkFlagsMatchThePom(Class<?> benchmark) throws IOException {
        Properties properties = new Properties();
        try (InputStream in = ForkFlagsTest.class.getResourceAsStream("/panamax-bench.properties")) {
            assertNotNull(in, "panamax-bench.properties is not on the classpath");
            properties.load(in);
        }
        List<String> fromPom = List.of(properties.getProperty("jvm.flags").trim().split("\\s+"));
        List<String> fromAnnotation = List.of(benchmark.getAnnotation(Fork.class).jvmArgsAppend());
        assertEquals(fromPom, fromAnnotation, benchmark.getSimpleName()
                + "'s @Fork(jvmArgsAppend) differs from panamax.jvm.flags in the parent pom");
    }
}
