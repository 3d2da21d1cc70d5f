package dev.mediaorchestrator.downloader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetadataMapperTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DownloadOptions LOCAL = DownloadOptions.parse(Map.of("url", "http://127.0.0.1:34253/clip.mp4"));
    private static final DownloadOptions YT_720 = DownloadOptions.parse(Map.of(
            "url", "https://www.youtube.com/watch?v=jNQXAC9IVRw", "quality", "720p"));

    /**
     * Shaped like yt-dlp's YouTube info JSON (the fields and types it writes for a video), trimmed;
     * hand-written, as this machine has no internet.
     */
    static final String YOUTUBE_SHAPED = """
            {
              "id": "jNQXAC9IVRw",
              "title": "Me at the zoo",
              "formats": [{"format_id": "18", "ext": "mp4", "height": 360}],
              "thumbnails": [
                {"url": "https://i.ytimg.com/vi/jNQXAC9IVRw/default.jpg", "preference": -13, "id": "0"},
                {"url": "https://i.ytimg.com/vi_webp/jNQXAC9IVRw/maxresdefault.webp", "preference": -2, "id": "41"}
              ],
              "thumbnail": "https://i.ytimg.com/vi_webp/jNQXAC9IVRw/maxresdefault.webp",
              "description": "The first video on YouTube.",
              "channel_id": "UC4QobU6STFB0P71PMvOGN5A",
              "channel_url": "https://www.youtube.com/channel/UC4QobU6STFB0P71PMvOGN5A",
              "duration": 19,
              "view_count": 348000000,
              "age_limit": 0,
              "webpage_url": "https://www.youtube.com/watch?v=jNQXAC9IVRw",
              "categories": ["Film & Animation"],
              "like_count": 17000000,
              "channel": "jawed",
              "channel_follower_count": 4500000,
              "upload_date": "20050424",
              "uploader": "jawed",
              "uploader_id": "@jawed",
              "uploader_url": "https://www.youtube.com/@jawed",
              "extractor": "youtube",
              "extractor_key": "Youtube",
              "duration_string": "19",
              "format_id": "18",
              "height": 360
            }
            """;

    @Test
    void mapsARealGenericInfoJson() throws Exception {
        Map<String, Object> m = MetadataMapper.map(JSON.readTree(YtDlpFixtures.GENERIC_INFO_JSON), LOCAL);
        assertEquals(Arrays.asList("clip", null, null, null, null, null, "1080p", "generic"), nulls(m));
        assertEquals(List.of("title", "author", "thumbnail", "viewCount", "likeCount", "duration", "quality", "source"),
                List.copyOf(m.keySet()));
    }

    @Test
    void mapsARealDashInfoJson() throws Exception {
        Map<String, Object> m = MetadataMapper.map(JSON.readTree(YtDlpFixtures.DASH_INFO_JSON), YT_720);
        assertEquals("manifest", m.get("title"));
        assertEquals("720p", m.get("quality"));
        assertEquals("generic", m.get("source"), "the extractor, not the (derived) URL host");
    }

    @Test
    void mapsAYouTubeShapedInfoJson() throws Exception {
        Map<String, Object> m = MetadataMapper.map(JSON.readTree(YOUTUBE_SHAPED), YT_720);
        assertEquals("Me at the zoo", m.get("title"));
        assertEquals("jawed", m.get("author"));
        assertEquals("https://i.ytimg.com/vi_webp/jNQXAC9IVRw/maxresdefault.webp", m.get("thumbnail"));
        assertEquals(348000000L, m.get("viewCount"));
        assertEquals(17000000L, m.get("likeCount"));
        assertEquals(19L, m.get("duration"));
        assertEquals("720p", m.get("quality"));
        assertEquals("youtube", m.get("source"));
        assertInstanceOf(Number.class, m.get("viewCount"));
    }

    @Test
    void authorFallsBackToChannelThenUploaderId() throws Exception {
        JsonNode yt = JSON.readTree(YOUTUBE_SHAPED);
        ((com.fasterxml.jackson.databind.node.ObjectNode) yt).putNull("uploader");
        assertEquals("jawed", MetadataMapper.map(yt, YT_720).get("author"));
        ((com.fasterxml.jackson.databind.node.ObjectNode) yt).put("channel", "  ");
        assertEquals("@jawed", MetadataMapper.map(yt, YT_720).get("author"));
        ((com.fasterxml.jackson.databind.node.ObjectNode) yt).remove("uploader_id");
        assertNull(MetadataMapper.map(yt, YT_720).get("author"));
    }

    @Test
    void numbersStayNumbersAndOddValuesBecomeNull() {
        Map<String, Object> info = new HashMap<>();
        info.put("duration", 12.5);
        info.put("view_count", "42");
        info.put("like_count", "many");
        info.put("title", List.of("not", "text"));
        info.put("thumbnails", List.of(Map.of("url", "a.jpg"), Map.of("id", "no-url")));
        Map<String, Object> m = MetadataMapper.fromInfoMap(info, LOCAL);
        assertEquals(12.5, m.get("duration"));
        assertEquals(42L, m.get("viewCount"));
        assertNull(m.get("likeCount"));
        assertNull(m.get("title"));
        assertEquals("a.jpg", m.get("thumbnail"), "the last thumbnail that has a url");
        assertEquals(3L, MetadataMapper.fromInfoMap(Map.of("duration", 3.0), LOCAL).get("duration"));
    }

    @Test
    void aGivenSourceWinsOverTheExtractor() throws Exception {
        DownloadOptions o = DownloadOptions.parse(Map.of("url", "https://www.youtube.com/watch?v=x", "source", "tiktok"));
        assertEquals("tiktok", MetadataMapper.map(JSON.readTree(YOUTUBE_SHAPED), o).get("source"));
        assertEquals("youtube", MetadataMapper.fromInfoMap(Map.of(), YT_720).get("source"), "no extractor: the URL host");
    }

    @Test
    void readsTheInfoJsonFile(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("video.info.json");
        Files.writeString(f, YOUTUBE_SHAPED);
        assertEquals("Me at the zoo", MetadataMapper.fromInfoFile(f, YT_720).get("title"));
    }

    private static InputStream stream(String s) {
        return new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aStreamMapsLikeTheParsedTree() throws Exception {
        assertEquals(MetadataMapper.map(JSON.readTree(YOUTUBE_SHAPED), YT_720),
                MetadataMapper.fromStream(stream(YOUTUBE_SHAPED), 1 << 20, YT_720));
        assertEquals(MetadataMapper.map(JSON.readTree(YtDlpFixtures.GENERIC_INFO_JSON), LOCAL),
                MetadataMapper.fromStream(stream(YtDlpFixtures.GENERIC_INFO_JSON), 1 << 20, LOCAL));
    }

    @Test
    void aStreamCutShortGivesWhatWasReadBeforeTheCut() {
        String cut = YOUTUBE_SHAPED.substring(0, YOUTUBE_SHAPED.indexOf("\"description\""));
        Map<String, Object> m = MetadataMapper.fromStream(stream(cut), 1 << 20, YT_720);
        assertEquals("Me at the zoo", m.get("title"));
        assertEquals("https://i.ytimg.com/vi_webp/jNQXAC9IVRw/maxresdefault.webp", m.get("thumbnail"));
        assertNull(m.get("viewCount"), "after the cut");
        assertEquals("720p", m.get("quality"));
        assertEquals("youtube", m.get("source"), "no extractor read: the URL's source");
    }

    @Test
    void malformedOrNotAnObjectGivesAllKeysAndNeverThrows() {
        for (String bad : new String[]{"", "not json", "[1,2,3]", "{\"title\": \"t\", \"view_count\": }", "{\"title\":{\"nested\":1}}"}) {
            Map<String, Object> m = MetadataMapper.fromStream(stream(bad), 1 << 20, YT_720);
            assertEquals(List.of("title", "author", "thumbnail", "viewCount", "likeCount", "duration", "quality", "source"),
                    List.copyOf(m.keySet()), bad);
            assertEquals("720p", m.get("quality"), bad);
        }
        assertEquals("t", MetadataMapper.fromStream(stream("{\"title\": \"t\", \"view_count\": }"), 1 << 20, YT_720).get("title"));
    }

    @Test
    void onlyTheCapIsReadOfAHugeFile() {
        // megabytes of formats between the title and the counts: the cap stops the read, the title stays
        StringBuilder big = new StringBuilder("{\"title\":\"big\",\"formats\":[");
        for (int i = 0; i < 50_000; i++) {
            big.append(i == 0 ? "" : ",").append("{\"format_id\":\"").append(i).append("\",\"url\":\"https://cdn.example/").append(i).append("\"}");
        }
        big.append("],\"view_count\":5}");
        AtomicLong read = new AtomicLong();
        InputStream counting = new FilterInputStream(stream(big.toString())) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = super.read(b, off, len);
                read.addAndGet(Math.max(0, n));
                return n;
            }
        };
        Map<String, Object> m = MetadataMapper.fromStream(counting, 100_000, YT_720);
        assertEquals("big", m.get("title"));
        assertNull(m.get("viewCount"), "past the cap");
        assertEquals(100_000, read.get(), "no more than the cap was read of " + big.length() + " bytes");
        assertEquals(5L, MetadataMapper.fromStream(stream(big.toString()), 1L << 30, YT_720).get("viewCount"), "under the cap: all of it");
    }

    private static List<Object> nulls(Map<String, Object> m) {
        return Arrays.asList(m.values().toArray());
    }

    @Test
    void textFieldsAreCappedWithAMarkerAndAnOverlongThumbnailIsLeftOut() {
        com.fasterxml.jackson.databind.node.ObjectNode info = new ObjectMapper().createObjectNode();
        info.put("title", "标题".repeat(3 * 1024 * 1024));
        info.put("uploader", "u".repeat(MetadataMapper.MAX_AUTHOR));
        info.put("thumbnail", "https://img.example/" + "x".repeat(MetadataMapper.MAX_URL));
        Map<String, Object> m = MetadataMapper.map(info, "720p", null, "generic");
        String title = (String) m.get("title");
        assertEquals(MetadataMapper.MAX_TITLE, title.codePointCount(0, title.length()));
        assertTrue(title.endsWith("标…"), "cut on a character, marked");
        assertEquals("u".repeat(MetadataMapper.MAX_AUTHOR), m.get("author"), "at the cap: kept whole");
        assertNull(m.get("thumbnail"));
        assertEquals("😀".repeat(4) + MetadataMapper.CUT, MetadataMapper.cut("😀".repeat(10), 5), "never half a surrogate pair");
    }
}
