import java.io.PrintWriter;
import java.util.Arrays;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * Runs JUnit test classes by name without Maven (for a device machine that has a JDK but no Maven repository):
 * {@code java -cp <classes and jars> RunCudaTests dev.panamax.engine.CudaGemmTest ...}. Prints the summary and
 * the failures; the exit status is 1 when a test failed and 2 when none ran (every test skipped counts as none).
 */
public class RunCudaTests {
    public static void main(String[] classes) {
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(Arrays.stream(classes).map(DiscoverySelectors::selectClass).toList())
                .build();
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        Launcher launcher = LauncherFactory.create();
        launcher.execute(request, listener);
        TestExecutionSummary summary = listener.getSummary();
        PrintWriter out = new PrintWriter(System.out, true);
        summary.printTo(out);
        summary.printFailuresTo(out, 40);
        long failed = summary.getTotalFailureCount();
        long passed = summary.getTestsSucceededCount();
        System.exit(failed > 0 ? 1 : passed == 0 ? 2 : 0);
    }
}
