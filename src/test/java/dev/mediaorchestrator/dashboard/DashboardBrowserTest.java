package dev.mediaorchestrator.dashboard;

import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.RunningApp;
import dev.mediaorchestrator.support.TestServers;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import java.util.ArrayList;

/**
 * Issue 21, in a real browser (Debian's chromium and chromium-driver, headless): submit a burn from
 * the page, watch its progress bar move and its row turn completed without a reload, open the job,
 * play the video (its currentTime advances; a seek to the middle works, i.e. Range), see the
 * callback's delivery attempt. Screenshots of the list and the job view go to target/screenshots,
 * and with UPDATE_DOCS_SCREENSHOTS=1 to docs/ (the README shows them).
 */
@IntegrationTest
class DashboardBrowserTest {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path DRIVER = Path.of("/usr/bin/chromedriver");

    @Test
    void submitABurnWatchItLiveAndPlayTheVideo() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(DRIVER),
                "needs chromium and chromium-driver (./run test installs them)");
        Path dir = TestServers.tempDir("mo-browser");
        WebDriver driver = null;
        try {
            Path clip = dir.resolve("clip.mp4");
            ffmpeg("-f", "lavfi", "-i", "testsrc=size=320x180:rate=25", "-f", "lavfi", "-i", "sine=frequency=440",
                    "-t", "8", "-c:v", "libx264", "-g", "50", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", clip.toString());
            Path vtt = dir.resolve("subs.vtt");
            Files.writeString(vtt, "WEBVTT\n\n00:00:00.000 --> 00:00:04.000\nHello from the dashboard\n你好\n\n"
                    + "00:00:04.000 --> 00:00:08.000\nSecond cue\n第二句\n");
            Path library = Files.createDirectories(dir.resolve("library"));
            // issue 32: BURN_SEGMENT_SECONDS=4 splits the 8 s clip (a keyframe every 2 s) in two segments, burned one after the other
            // by the all-in-one burner and joined; the job view shows them
            try (RunningApp app = RunningApp.start(Map.of("ROLES", "orchestrator,burner,downloader", "MEDIA_DIR", library.toString(),
                    "BURN_SEGMENT_SECONDS", "4"))) {
                driver = chrome();
                WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(60));
                JavascriptExecutor js = (JavascriptExecutor) driver;
                driver.get(app.base + "/ui/");
                wait.until(d -> "live".equals(d.findElement(By.id("live")).getText()));
                // the page is never reloaded: a mark on its window stays; every progress value a row shows is recorded
                js.executeScript("window.__mark = 'same page'; window.__progress = {};"
                        + "new MutationObserver(() => { for (const tr of document.querySelectorAll('#jobs tbody tr')) {"
                        + "  const id = tr.dataset.jobId, v = Number(tr.querySelector('progress').value), seen = (window.__progress[id] ||= []);"
                        + "  if (seen[seen.length - 1] !== v) seen.push(v); } })"
                        + ".observe(document.querySelector('#jobs tbody'), {childList: true, subtree: true, attributes: true});");

                driver.findElement(By.id("burn-media")).sendKeys("web1");
                driver.findElement(By.id("burn-video")).sendKeys(clip.toString());
                driver.findElement(By.id("burn-vtt")).sendKeys(vtt.toString());
                driver.findElement(By.cssSelector("#burn-form button[type=submit]")).click();
                wait.until(d -> d.findElement(By.id("submit-result")).getText().matches("Job job_[a-z2-7]{26} queued\\."));
                String jobId = driver.findElement(By.id("submit-result")).getText().substring(4, 34);

                new WebDriverWait(driver, Duration.ofSeconds(120)).until(d ->
                        !d.findElements(By.cssSelector("tr[data-job-id='" + jobId + "'][data-status='completed']")).isEmpty());
                assertEquals("same page", js.executeScript("return window.__mark"), "no reload");
                @SuppressWarnings("unchecked")
                List<Number> progress = (List<Number>) js.executeScript("return window.__progress[arguments[0]]", jobId);
                assertTrue(progress.stream().anyMatch(p -> p.doubleValue() > 0 && p.doubleValue() < 1), "the bar moved: " + progress);
                assertEquals(1.0, progress.get(progress.size() - 1).doubleValue(), "and ended full: " + progress);
                for (int i = 1; i < progress.size(); i++) {
                    assertTrue(progress.get(i).doubleValue() >= progress.get(i - 1).doubleValue(), "never backwards: " + progress);
                }
                screenshot(driver, "dashboard-list.png");

                driver.findElement(By.linkText(jobId)).click();
                WebElement video = new WebDriverWait(driver, Duration.ofSeconds(30)).until(d -> d.findElement(By.id("video")));
                wait.until(d -> ((Number) js.executeScript("return arguments[0].readyState", video)).intValue() >= 1);
                double duration = ((Number) js.executeScript("return arguments[0].duration", video)).doubleValue();
                assertTrue(duration > 7 && duration < 9, "duration " + duration);
                js.executeScript("arguments[0].muted = true; arguments[0].play();", video);
                wait.until(d -> ((Number) js.executeScript("return arguments[0].currentTime", video)).doubleValue() > 0.5);
                // a seek to the middle: the browser asks for a byte range
                js.executeScript("window.__seeked = false; arguments[0].addEventListener('seeked', () => window.__seeked = true, {once: true});"
                        + "arguments[0].currentTime = arguments[0].duration / 2;", video);
                wait.until(d -> Boolean.TRUE.equals(js.executeScript("return window.__seeked")));
                double afterSeek = ((Number) js.executeScript("return arguments[0].currentTime", video)).doubleValue();
                assertTrue(Math.abs(afterSeek - duration / 2) < 1, "at the middle: " + afterSeek);
                wait.until(d -> ((Number) js.executeScript("return arguments[0].currentTime", video)).doubleValue() > afterSeek + 0.5);

                wait.until(d -> d.findElements(By.cssSelector("#deliveries tr.delivery")).stream().anyMatch(tr -> tr.getText().contains("200")));
                assertTrue(driver.findElement(By.id("deliveries-note")).getText().contains("Delivered"));
                assertTrue(driver.findElements(By.cssSelector("#timeline li")).size() >= 3, "the phase timeline");
                assertTrue(driver.findElement(By.id("segments-box")).isDisplayed(), "the segments of the split burn");
                assertEquals("2 of 2 segments up (8.0 s of input)", driver.findElement(By.id("segments-note")).getText());
                List<WebElement> tasks = driver.findElements(By.cssSelector("#segments tr.segment"));
                assertEquals(List.of("Plan", "Segment 0", "Segment 1", "Join"),
                        tasks.stream().map(tr -> tr.findElement(By.tagName("th")).getText()).toList());
                assertTrue(tasks.stream().allMatch(tr -> tr.getText().contains("completed")), "every task completed");
                js.executeScript("arguments[0].pause()", video);
                screenshot(driver, "dashboard-job.png");
            }
        } finally {
            if (driver != null) {
                driver.quit();
            }
            TestServers.deleteRecursively(dir);
        }
    }

    private static WebDriver chrome() {
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1500",
                "--autoplay-policy=no-user-gesture-required", "--disable-gpu", "--mute-audio");
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile())
                .usingAnyFreePort().withSilent(true).build();
        return new ChromeDriver(service, options);
    }

    private static void screenshot(WebDriver driver, String name) throws Exception {
        File shot = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
        Path target = Files.createDirectories(Path.of("target/screenshots"));
        Files.copy(shot.toPath(), target.resolve(name), StandardCopyOption.REPLACE_EXISTING);
        // the README's pictures: copied over the committed ones only when asked, so that a test run
        // does not change tracked files (UPDATE_DOCS_SCREENSHOTS=1 mvn verify -Dtest=DashboardBrowserTest …)
        Path docs = Path.of("docs");
        if ("1".equals(System.getenv("UPDATE_DOCS_SCREENSHOTS")) && Files.isDirectory(docs)) {
            Files.copy(shot.toPath(), docs.resolve(name), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static void ffmpeg(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("ffmpeg", "-loglevel", "error", "-y"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, out);
    }
}
