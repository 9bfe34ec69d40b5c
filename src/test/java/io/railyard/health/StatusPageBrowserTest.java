package io.railyard.health;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.railyard.testing.Await;
import io.railyard.testing.FakeNodes;
import io.railyard.testing.FakeNodesResource;
import io.railyard.testing.Management;
import io.railyard.upstream.UpstreamPool;
import io.railyard.upstream.UpstreamPools;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebDriverException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * End to end in a real browser: Debian's headless Chromium, driven by Selenium through Debian's chromedriver, shows
 * {@code /status} with every upstream green, and turns one red by itself (the page refreshes every 2 s) within a few
 * seconds of its node going away. Leaves {@code target/status-page.png}. Skipped, with the reason, where Chromium or
 * chromedriver is not installed ({@code .ci/run} installs both, so CI always runs it).
 */
@QuarkusTest
@QuarkusTestResource(value = FakeNodesResource.class, restrictToAnnotatedClass = true, initArgs = {
        // A free port: other builds on the same machine may hold 8081.
        @ResourceArg(name = "quarkus.http.test-port", value = "0")})
class StatusPageBrowserTest {

    static final Path CHROMIUM = Path.of(System.getProperty("test.chromium.binary", "/usr/bin/chromium"));
    static final Path CHROMEDRIVER = Path.of(System.getProperty("test.chromedriver.binary", "/usr/bin/chromedriver"));
    static final Path SCREENSHOT = Path.of("target/status-page.png");
    /** How soon after its node dies the page must show an upstream red: probes and the page's own 2 s refresh. */
    static final Duration TURNS_RED_WITHIN = Duration.ofSeconds(8);

    private static final Pattern RGB = Pattern.compile("rgba?\\((\\d+),\\s*(\\d+),\\s*(\\d+)");

    FakeNodes fakes;

    @Inject
    UpstreamPools pools;

    private WebDriver driver;
    private Path profile;

    /**
     * Checked per test, not in {@code @BeforeAll}: Surefire reports a test skipped in {@code @BeforeEach} as skipped,
     * with the reason, where a class aborted in {@code @BeforeAll} shows as zero tests run.
     */
    static void browserInstalled() {
        assumeTrue(Files.isExecutable(CHROMIUM), "Chromium not installed at " + CHROMIUM
                + " (apt-get install chromium chromium-driver): skipping the status page browser test");
        assumeTrue(Files.isExecutable(CHROMEDRIVER), "chromedriver not installed at " + CHROMEDRIVER
                + " (apt-get install chromium-driver): skipping the status page browser test");
    }

    @BeforeEach
    void startBrowser() throws IOException {
        browserInstalled();
        fakes.resetAll();
        Await.allHealthy(pool());

        // The driver's path is given explicitly, so Selenium Manager has nothing to look up or download.
        System.setProperty("webdriver.chrome.driver", CHROMEDRIVER.toString());
        profile = Files.createTempDirectory("railyard-chromium-");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                "--disable-default-apps", "--disable-extensions", "--user-data-dir=" + profile, "--window-size=1400,900",
                "--force-device-scale-factor=1", "--lang=en-US");
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort()
                .build();
        driver = new ChromeDriver(service, options);
        driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(20));
    }

    @AfterEach
    void stopBrowser() throws IOException {
        try {
            if (driver != null) {
                driver.quit();
            }
        } finally {
            if (profile != null) {
                try (Stream<Path> files = Files.walk(profile)) {
                    files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
                }
            }
        }
    }

    /** @return node-1's reason text, once the rows show node-1 red and the others green */
    private String checkOnlyNode1IsRed() {
        WebElement ejected = row(driver, "node-1");
        assertRed(ejected.findElement(By.cssSelector("td.state")), "node-1 is shown red");
        String reason = ejected.findElements(By.tagName("td")).get(2).getText();
        assertFalse(reason.isBlank(), "the ejected row says why");
        for (String other : List.of("node-0", "node-2")) {
            assertEquals("healthy", row(driver, other).getAttribute("class"), other + " stays healthy");
            assertGreen(row(driver, other).findElement(By.cssSelector("td.state")), other + " stays green");
        }
        return reason;
    }

    private UpstreamPool pool() {
        return pools.pool(FakeNodesResource.NETWORK);
    }

    @Test
    void showsEveryUpstreamGreenAndTurnsAKilledOneRedByItself() throws IOException {
        driver.get(Management.uri("/status").toString());

        assertEquals("Railyard status", driver.getTitle());
        List<WebElement> rows = driver.findElements(By.cssSelector("tr[data-upstream]"));
        assertEquals(List.of("node-0", "node-1", "node-2"), rows.stream().map(r -> r.getAttribute("data-upstream")).toList(),
                "every upstream has a row");
        for (WebElement row : rows) {
            assertEquals("healthy", row.getAttribute("class"), row.getAttribute("data-upstream"));
            assertGreen(row.findElement(By.cssSelector("td.state")), row.getAttribute("data-upstream") + " is shown green");
        }

        // Marks this page instance: a reload (by the page itself; the test never reloads) clears it.
        ((JavascriptExecutor) driver).executeScript("window.railyardLoaded = 'first';");
        long killed = System.nanoTime();
        fakes.get(1).stop();
        try {
            new WebDriverWait(driver, TURNS_RED_WITHIN, Duration.ofMillis(100))
                    .ignoring(StaleElementReferenceException.class)
                    .ignoring(WebDriverException.class)
                    .withMessage("node-1's row turned ejected within " + TURNS_RED_WITHIN.toSeconds() + " s without a manual reload")
                    .until(d -> "ejected".equals(row(d, "node-1").getAttribute("class")));
            long seconds = Duration.ofNanos(System.nanoTime() - killed).toMillis();

            assertNotEquals("first", ((JavascriptExecutor) driver).executeScript("return window.railyardLoaded || null;"),
                    "the page reloaded itself");
            // The page reloads itself every 2 s; a reload between finding an element and reading it is retried.
            String reason = null;
            for (int attempt = 1; reason == null; attempt++) {
                try {
                    reason = checkOnlyNode1IsRed();
                } catch (WebDriverException e) {
                    if (attempt == 5) {
                        throw e;
                    }
                }
            }
            Files.createDirectories(SCREENSHOT.getParent());
            File shot = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
            Files.copy(shot.toPath(), SCREENSHOT, StandardCopyOption.REPLACE_EXISTING);
            assertTrue(Files.size(SCREENSHOT) > 1000, "a screenshot was saved");
            System.out.printf("status page showed node-1 ejected %d ms after it stopped (reason: %s); screenshot %s%n",
                    seconds, reason.replace('\n', ' '), SCREENSHOT.toAbsolutePath());
        } finally {
            fakes.get(1).restart();
            Await.until("node-1 readmitted", () -> pool().upstreams().get(1).isHealthy());
        }
    }

    private static WebElement row(WebDriver d, String upstream) {
        return d.findElement(By.cssSelector("tr[data-upstream='" + upstream + "']"));
    }

    private static void assertGreen(WebElement cell, String what) {
        int[] rgb = rgb(cell.getCssValue("background-color"));
        assertTrue(rgb[1] > rgb[0] + 40 && rgb[1] > rgb[2] + 40, what + ": background " + cell.getCssValue("background-color"));
    }

    private static void assertRed(WebElement cell, String what) {
        int[] rgb = rgb(cell.getCssValue("background-color"));
        assertTrue(rgb[0] > rgb[1] + 40 && rgb[0] > rgb[2] + 40, what + ": background " + cell.getCssValue("background-color"));
    }

    private static int[] rgb(String css) {
        Matcher m = RGB.matcher(css);
        assertTrue(m.find(), "a colour: " + css);
        return new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3))};
    }
}
