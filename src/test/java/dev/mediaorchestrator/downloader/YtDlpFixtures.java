package dev.mediaorchestrator.downloader;

/**
 * Real yt-dlp output, captured on this project's machine (yt-dlp 2023.03.04, ffmpeg 5.1) by running it
 * against {@code python3 -m http.server} on loopback serving ffmpeg-generated clips
 * ({@code testsrc2} + {@code sine}). Pasted verbatim except for JSON indentation.
 */
final class YtDlpFixtures {

    private YtDlpFixtures() {
    }

    /** yt-dlp 2023.03.04 stdout, default progress lines, {@code --newline -r 2M}: a DASH manifest (720p video + AAC audio, 12 s) merged to mp4. */
    static final String DASH_MERGE_DEFAULT_STDOUT = """
            [generic] Extracting URL: http://127.0.0.1:34253/dash/manifest.mpd
            [generic] manifest: Downloading webpage
            [generic] manifest: Extracting information
            [info] manifest: Downloading 1 format(s): 0+1
            [info] Writing video metadata as JSON to: /tmp/cap/w3/video.info.json
            [dashsegments] Total fragments: 3
            [download] Destination: /tmp/cap/w3/video.f0.mp4
            [download]  33.3% of ~   2.42KiB at  289.82KiB/s ETA 00:00 (frag 0/3)
            [download]  33.3% of ~   2.42KiB at  244.90KiB/s ETA 00:00 (frag 1/3)
            [download]   0.0% of ~   7.28MiB at  304.33KiB/s ETA 00:27 (frag 1/3)
            [download]   0.1% of ~   7.28MiB at  643.07KiB/s ETA 00:15 (frag 1/3)
            [download]   0.1% of ~   7.28MiB at    1.03MiB/s ETA 00:09 (frag 1/3)
            [download]   0.2% of ~   7.28MiB at    1.32MiB/s ETA 00:06 (frag 1/3)
            [download]   0.4% of ~   7.28MiB at    1.58MiB/s ETA 00:05 (frag 1/3)
            [download]   0.9% of ~   7.28MiB at    1.77MiB/s ETA 00:04 (frag 1/3)
            [download]   1.7% of ~   7.28MiB at    1.87MiB/s ETA 00:03 (frag 1/3)
            [download]   3.4% of ~   7.28MiB at    1.93MiB/s ETA 00:03 (frag 1/3)
            [download]   6.9% of ~   7.28MiB at    1.96MiB/s ETA 00:03 (frag 1/3)
            [download]  13.7% of ~   7.28MiB at    1.98MiB/s ETA 00:03 (frag 1/3)
            [download]  27.5% of ~   7.28MiB at    1.99MiB/s ETA 00:02 (frag 1/3)
            [download]  54.9% of ~   7.28MiB at    1.99MiB/s ETA 00:01 (frag 1/3)
            [download]  66.7% of ~   7.28MiB at    2.00MiB/s ETA 00:01 (frag 1/3)
            [download]  66.7% of ~   7.28MiB at    2.00MiB/s ETA 00:01 (frag 2/3)
            [download]  83.4% of ~   5.82MiB at   57.50KiB/s ETA 00:00 (frag 2/3)
            [download]  83.5% of ~   5.82MiB at  160.89KiB/s ETA 00:00 (frag 2/3)
            [download]  83.5% of ~   5.82MiB at  341.34KiB/s ETA 00:00 (frag 2/3)
            [download]  83.7% of ~   5.82MiB at  612.10KiB/s ETA 00:00 (frag 2/3)
            [download]  83.9% of ~   5.82MiB at  952.05KiB/s ETA 00:00 (frag 2/3)
            [download]  84.5% of ~   5.82MiB at    1.27MiB/s ETA 00:00 (frag 2/3)
            [download]  85.5% of ~   5.82MiB at    1.55MiB/s ETA 00:00 (frag 2/3)
            [download]  87.7% of ~   5.82MiB at    1.75MiB/s ETA 00:00 (frag 2/3)
            [download]  92.0% of ~   5.82MiB at    1.87MiB/s ETA 00:00 (frag 2/3)
            [download] 100.0% of ~   5.82MiB at    1.93MiB/s ETA 00:00 (frag 2/3)
            [download] 100.0% of ~   5.82MiB at    1.92MiB/s ETA 00:00 (frag 3/3)
            [download] 100% of    5.82MiB in 00:00:02 at 1.98MiB/s
            [dashsegments] Total fragments: 7
            [download] Destination: /tmp/cap/w3/video.f1.m4a
            [download]  14.3% of ~   5.23KiB at  280.80KiB/s ETA 00:00 (frag 0/7)
            [download]  14.3% of ~   5.23KiB at  239.54KiB/s ETA 00:00 (frag 1/7)
            [download]   1.6% of ~ 110.11KiB at  347.79KiB/s ETA 00:00 (frag 1/7)
            [download]   3.4% of ~ 110.11KiB at  731.27KiB/s ETA 00:00 (frag 1/7)
            [download]   7.0% of ~ 110.11KiB at    1.19MiB/s ETA 00:00 (frag 1/7)
            [download]  14.3% of ~ 110.11KiB at    1.50MiB/s ETA 00:00 (frag 1/7)
            [download]  28.6% of ~ 110.11KiB at    1.70MiB/s ETA 00:00 (frag 1/7)
            [download]  28.6% of ~ 110.11KiB at    1.66MiB/s ETA 00:00 (frag 2/7)
            [download]  21.9% of ~ 148.55KiB at  293.45KiB/s ETA 00:00 (frag 2/7)
            [download]  23.2% of ~ 148.55KiB at  649.51KiB/s ETA 00:00 (frag 2/7)
            [download]  25.9% of ~ 148.55KiB at    1.03MiB/s ETA 00:00 (frag 2/7)
            [download]  31.3% of ~ 148.55KiB at    1.36MiB/s ETA 00:00 (frag 2/7)
            [download]  42.0% of ~ 148.55KiB at    1.58MiB/s ETA 00:00 (frag 2/7)
            [download]  42.9% of ~ 148.55KiB at    1.59MiB/s ETA 00:00 (frag 2/7)
            [download]  42.9% of ~ 148.55KiB at    1.56MiB/s ETA 00:00 (frag 3/7)
            [download]  38.5% of ~ 167.86KiB at   41.07KiB/s ETA 00:00 (frag 3/7)
            [download]  39.7% of ~ 167.86KiB at  116.55KiB/s ETA 00:00 (frag 3/7)
            [download]  42.1% of ~ 167.86KiB at  254.13KiB/s ETA 00:00 (frag 3/7)
            [download]  46.9% of ~ 167.86KiB at  472.18KiB/s ETA 00:00 (frag 3/7)
            [download]  56.4% of ~ 167.86KiB at  780.65KiB/s ETA 00:00 (frag 3/7)
            [download]  57.1% of ~ 167.86KiB at  804.20KiB/s ETA 00:00 (frag 3/7)
            [download]  57.1% of ~ 167.86KiB at  796.93KiB/s ETA 00:00 (frag 4/7)
            [download]  54.1% of ~ 179.21KiB at  259.26KiB/s ETA 00:00 (frag 4/7)
            [download]  55.2% of ~ 179.21KiB at  579.40KiB/s ETA 00:00 (frag 4/7)
            [download]  57.4% of ~ 179.21KiB at  994.01KiB/s ETA 00:00 (frag 4/7)
            [download]  61.9% of ~ 179.21KiB at    1.34MiB/s ETA 00:00 (frag 4/7)
            [download]  70.8% of ~ 179.21KiB at    1.59MiB/s ETA 00:00 (frag 4/7)
            [download]  71.4% of ~ 179.21KiB at    1.60MiB/s ETA 00:00 (frag 4/7)
            [download]  71.4% of ~ 179.21KiB at    1.57MiB/s ETA 00:00 (frag 5/7)
            [download]  69.0% of ~ 186.88KiB at  314.13KiB/s ETA 00:00 (frag 5/7)
            [download]  70.1% of ~ 186.88KiB at  649.27KiB/s ETA 00:00 (frag 5/7)
            [download]  72.2% of ~ 186.88KiB at    1.05MiB/s ETA 00:00 (frag 5/7)
            [download]  76.5% of ~ 186.88KiB at    1.37MiB/s ETA 00:00 (frag 5/7)
            [download]  85.1% of ~ 186.88KiB at    1.62MiB/s ETA 00:00 (frag 5/7)
            [download]  85.7% of ~ 186.88KiB at    1.62MiB/s ETA 00:00 (frag 5/7)
            [download]  85.7% of ~ 186.88KiB at    1.58MiB/s ETA 00:00 (frag 6/7)
            [download]  84.3% of ~ 191.15KiB at  281.19KiB/s ETA 00:00 (frag 6/7)
            [download]  85.4% of ~ 191.15KiB at  608.84KiB/s ETA 00:00 (frag 6/7)
            [download]  87.5% of ~ 191.15KiB at 1009.18KiB/s ETA 00:00 (frag 6/7)
            [download]  91.6% of ~ 191.15KiB at    1.34MiB/s ETA 00:00 (frag 6/7)
            [download] 100.0% of ~ 191.15KiB at    1.58MiB/s ETA 00:00 (frag 6/7)
            [download] 100.0% of ~ 191.15KiB at    1.53MiB/s ETA 00:00 (frag 7/7)
            [download] 100% of  191.15KiB in 00:00:00 at 1.31MiB/s
            [Merger] Merging formats into "/tmp/cap/w3/video.mp4"
            Deleting original file /tmp/cap/w3/video.f0.mp4 (pass -k to keep)
            Deleting original file /tmp/cap/w3/video.f1.m4a (pass -k to keep)
            """;

    /** The same DASH download with {@link YtDlpCommand#PROGRESS_TEMPLATE} and the full argument list of {@link YtDlpCommand}. */
    static final String DASH_MERGE_TEMPLATE_STDOUT = """
            [generic] Extracting URL: http://127.0.0.1:34253/dash/manifest.mpd
            [generic] manifest: Downloading webpage
            [generic] manifest: Extracting information
            [info] manifest: Downloading 1 format(s): 0+1
            [info] Writing video metadata as JSON to: /tmp/cap/t1/video.info.json
            [dashsegments] Total fragments: 3
            [download] Destination: /tmp/cap/t1/video.f0.mp4
            [mo-progress] downloading 827 NA 2481.0 0 3
            [mo-progress] downloading 827 NA 2481.0 1 3
            [mo-progress] downloading 1851 NA 7630426.5 1 3
            [mo-progress] downloading 3899 NA 7630426.5 1 3
            [mo-progress] downloading 7995 NA 7630426.5 1 3
            [mo-progress] downloading 16187 NA 7630426.5 1 3
            [mo-progress] downloading 32571 NA 7630426.5 1 3
            [mo-progress] downloading 65339 NA 7630426.5 1 3
            [mo-progress] downloading 130875 NA 7630426.5 1 3
            [mo-progress] downloading 261947 NA 7630426.5 1 3
            [mo-progress] downloading 524091 NA 7630426.5 1 3
            [mo-progress] downloading 1048379 NA 7630426.5 1 3
            [mo-progress] downloading 2096955 NA 7630426.5 1 3
            [mo-progress] downloading 4194107 NA 7630426.5 1 3
            [mo-progress] downloading 5086951 NA 7630426.5 1 3
            [mo-progress] downloading 5086951 NA 7630426.5 2 3
            [mo-progress] downloading 5087975 NA 6098610.0 2 3
            [mo-progress] downloading 5090023 NA 6098610.0 2 3
            [mo-progress] downloading 5094119 NA 6098610.0 2 3
            [mo-progress] downloading 5102311 NA 6098610.0 2 3
            [mo-progress] downloading 5118695 NA 6098610.0 2 3
            [mo-progress] downloading 5151463 NA 6098610.0 2 3
            [mo-progress] downloading 5216999 NA 6098610.0 2 3
            [mo-progress] downloading 5348071 NA 6098610.0 2 3
            [mo-progress] downloading 5610215 NA 6098610.0 2 3
            [mo-progress] downloading 6098610 NA 6098610.0 2 3
            [mo-progress] downloading 6098610 NA 6098610.0 3 3
            [mo-progress] finished 6098610 6098610 NA NA NA
            [dashsegments] Total fragments: 7
            [download] Destination: /tmp/cap/t1/video.f1.m4a
            [mo-progress] downloading 765 NA 5355.0 0 7
            [mo-progress] downloading 765 NA 5355.0 1 7
            [mo-progress] downloading 1789 NA 112752.5 1 7
            [mo-progress] downloading 3837 NA 112752.5 1 7
            [mo-progress] downloading 7933 NA 112752.5 1 7
            [mo-progress] downloading 16125 NA 112752.5 1 7
            [mo-progress] downloading 32215 NA 112752.5 1 7
            [mo-progress] downloading 32215 NA 112752.5 2 7
            [mo-progress] downloading 33239 NA 152117.0 2 7
            [mo-progress] downloading 35287 NA 152117.0 2 7
            [mo-progress] downloading 39383 NA 152117.0 2 7
            [mo-progress] downloading 47575 NA 152117.0 2 7
            [mo-progress] downloading 63959 NA 152117.0 2 7
            [mo-progress] downloading 65193 NA 152117.0 2 7
            [mo-progress] downloading 65193 NA 152117.0 3 7
            [mo-progress] downloading 66217 NA 171886.75 3 7
            [mo-progress] downloading 68265 NA 171886.75 3 7
            [mo-progress] downloading 72361 NA 171886.75 3 7
            [mo-progress] downloading 80553 NA 171886.75 3 7
            [mo-progress] downloading 96937 NA 171886.75 3 7
            [mo-progress] downloading 98221 NA 171886.75 3 7
            [mo-progress] downloading 98221 NA 171886.75 4 7
            [mo-progress] downloading 99245 NA 183507.80000000002 4 7
            [mo-progress] downloading 101293 NA 183507.80000000002 4 7
            [mo-progress] downloading 105389 NA 183507.80000000002 4 7
            [mo-progress] downloading 113581 NA 183507.80000000002 4 7
            [mo-progress] downloading 129965 NA 183507.80000000002 4 7
            [mo-progress] downloading 131077 NA 183507.80000000002 4 7
            [mo-progress] downloading 131077 NA 183507.80000000002 5 7
            [mo-progress] downloading 132101 NA 191362.5 5 7
            [mo-progress] downloading 134149 NA 191362.5 5 7
            [mo-progress] downloading 138245 NA 191362.5 5 7
            [mo-progress] downloading 146437 NA 191362.5 5 7
            [mo-progress] downloading 162821 NA 191362.5 5 7
            [mo-progress] downloading 164025 NA 191362.5 5 7
            [mo-progress] downloading 164025 NA 191362.5 6 7
            [mo-progress] downloading 165049 NA 195741.0 6 7
            [mo-progress] downloading 167097 NA 195741.0 6 7
            [mo-progress] downloading 171193 NA 195741.0 6 7
            [mo-progress] downloading 179385 NA 195741.0 6 7
            [mo-progress] downloading 195741 NA 195741.0 6 7
            [mo-progress] downloading 195741 NA 195741.0 7 7
            [mo-progress] finished 195741 195741 NA NA NA
            [Merger] Merging formats into "/tmp/cap/t1/video.mp4"
            Deleting original file /tmp/cap/t1/video.f0.mp4 (pass -k to keep)
            Deleting original file /tmp/cap/t1/video.f1.m4a (pass -k to keep)
            [VideoRemuxer] Not remuxing media file "/tmp/cap/t1/video.mp4"; already is in target format mp4
            """;

    /** yt-dlp 2023.03.04 stdout, default progress lines, {@code -r 4M}: one 19.5 MiB mp4 file (generic extractor). */
    static final String SINGLE_FILE_DEFAULT_STDOUT = """
            [generic] Extracting URL: http://127.0.0.1:34253/big.mp4
            [generic] big: Downloading webpage
            [info] big: Downloading 1 format(s): mp4
            [info] Writing video metadata as JSON to: /tmp/cap/w2/video.info.json
            [download] Destination: /tmp/cap/w2/video.mp4
            [download]   0.0% of   19.52MiB at  Unknown B/s ETA Unknown
            [download]   0.0% of   19.52MiB at    2.74MiB/s ETA 00:07
            [download]   0.0% of   19.52MiB at    3.35MiB/s ETA 00:05
            [download]   0.1% of   19.52MiB at    3.69MiB/s ETA 00:05
            [download]   0.2% of   19.52MiB at    3.83MiB/s ETA 00:05
            [download]   0.3% of   19.52MiB at    3.84MiB/s ETA 00:05
            [download]   0.6% of   19.52MiB at    3.92MiB/s ETA 00:04
            [download]   1.3% of   19.52MiB at    3.91MiB/s ETA 00:04
            [download]   2.6% of   19.52MiB at    3.92MiB/s ETA 00:04
            [download]   5.1% of   19.52MiB at    3.93MiB/s ETA 00:04
            [download]  10.2% of   19.52MiB at    3.95MiB/s ETA 00:04
            [download]  20.5% of   19.52MiB at    3.95MiB/s ETA 00:03
            [download]  40.7% of   19.52MiB at    3.97MiB/s ETA 00:02
            [download]  61.1% of   19.52MiB at    3.98MiB/s ETA 00:01
            [download]  81.6% of   19.52MiB at    3.99MiB/s ETA 00:00
            [download] 100.0% of   19.52MiB at    3.99MiB/s ETA 00:00
            [download] 100% of   19.52MiB in 00:00:04 at 3.99MiB/s
            """;

    /** The same single-file download with {@link YtDlpCommand#PROGRESS_TEMPLATE} and the full argument list. */
    static final String SINGLE_FILE_TEMPLATE_STDOUT = """
            [generic] Extracting URL: http://127.0.0.1:34253/big.mp4
            [generic] big: Downloading webpage
            [info] big: Downloading 1 format(s): mp4
            [info] Writing video metadata as JSON to: /tmp/cap/t2/video.info.json
            [download] Destination: /tmp/cap/t2/video.mp4
            [mo-progress] downloading 1024 20469989 NA NA NA
            [mo-progress] downloading 3072 20469989 NA NA NA
            [mo-progress] downloading 7168 20469989 NA NA NA
            [mo-progress] downloading 15360 20469989 NA NA NA
            [mo-progress] downloading 31744 20469989 NA NA NA
            [mo-progress] downloading 64512 20469989 NA NA NA
            [mo-progress] downloading 130048 20469989 NA NA NA
            [mo-progress] downloading 261120 20469989 NA NA NA
            [mo-progress] downloading 523264 20469989 NA NA NA
            [mo-progress] downloading 1047552 20469989 NA NA NA
            [mo-progress] downloading 2096128 20469989 NA NA NA
            [mo-progress] downloading 4193280 20469989 NA NA NA
            [mo-progress] downloading 8375192 20469989 NA NA NA
            [mo-progress] downloading 12551654 20469989 NA NA NA
            [mo-progress] downloading 16724824 20469989 NA NA NA
            [mo-progress] downloading 20469989 20469989 NA NA NA
            [mo-progress] finished 20469989 20469989 NA NA NA
            [VideoRemuxer] Not remuxing media file "/tmp/cap/t2/video.mp4"; already is in target format mp4
            """;

    /** The full argument list on a 3 s 320x180 clip (113 KiB), unthrottled. */
    static final String SMALL_FILE_TEMPLATE_STDOUT = """
            [generic] Extracting URL: http://127.0.0.1:34253/clip.mp4
            [generic] clip: Downloading webpage
            [info] clip: Downloading 1 format(s): mp4
            [info] Writing video metadata as JSON to: /tmp/cap/t3/video.info.json
            [download] Destination: /tmp/cap/t3/video.mp4
            [mo-progress] downloading 1024 115671 NA NA NA
            [mo-progress] downloading 3072 115671 NA NA NA
            [mo-progress] downloading 7168 115671 NA NA NA
            [mo-progress] downloading 15360 115671 NA NA NA
            [mo-progress] downloading 31744 115671 NA NA NA
            [mo-progress] downloading 64512 115671 NA NA NA
            [mo-progress] downloading 115671 115671 NA NA NA
            [mo-progress] finished 115671 115671 NA NA NA
            [VideoRemuxer] Not remuxing media file "/tmp/cap/t3/video.mp4"; already is in target format mp4
            """;

    /** yt-dlp 2023.03.04 stderr for a URL that answers 404. */
    static final String NOT_FOUND_STDERR = """
            ERROR: [generic] None: Unable to download webpage: HTTP Error 404: File not found (caused by <HTTPError 404: 'File not found'>); please report this issue on  https://github.com/yt-dlp/yt-dlp/issues?q= , filling out the appropriate issue template. Confirm you are on the latest version using  yt-dlp -U
            """;

    /** yt-dlp 2023.03.04 stderr with {@code --proxy http://127.0.0.1:1} (nothing listening). */
    static final String PROXY_REFUSED_STDERR = """
            ERROR: [generic] None: Unable to download webpage: <urlopen error [Errno 111] Connection refused> (caused by URLError(ConnectionRefusedError(111, 'Connection refused')))
            """;

    /** The info JSON yt-dlp 2023.03.04 wrote for a directly served mp4 (generic extractor), re-indented. */
    static final String GENERIC_INFO_JSON = """
            {
              "id": "clip",
              "title": "clip",
              "timestamp": 1795917519.0,
              "direct": true,
              "formats": [
                {
                  "format_id": "mp4",
                  "url": "http://127.0.0.1:34253/clip.mp4",
                  "ext": "mp4",
                  "protocol": "http",
                  "dynamic_range": "SDR",
                  "http_headers": {
                    "User-Agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/91.0.4472.114 Safari/537.36",
                    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
                    "Accept-Language": "en-us,en;q=0.5",
                    "Sec-Fetch-Mode": "navigate"
                  },
                  "video_ext": "mp4",
                  "audio_ext": "none",
                  "format": "mp4 - unknown"
                }
              ],
              "subtitles": {},
              "http_headers": {
                "User-Agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/91.0.4472.114 Safari/537.36",
                "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
                "Accept-Language": "en-us,en;q=0.5",
                "Sec-Fetch-Mode": "navigate"
              },
              "webpage_url": "http://127.0.0.1:34253/clip.mp4",
              "webpage_url_basename": "clip.mp4",
              "webpage_url_domain": "127.0.0.1:34253",
              "extractor": "generic",
              "extractor_key": "Generic",
              "display_id": "clip",
              "fulltitle": "clip",
              "upload_date": "20261129",
              "format_id": "mp4",
              "url": "http://127.0.0.1:34253/clip.mp4",
              "ext": "mp4",
              "protocol": "http",
              "dynamic_range": "SDR",
              "video_ext": "mp4",
              "audio_ext": "none",
              "format": "mp4 - unknown",
              "epoch": 1795917529,
              "_type": "video",
              "_version": {
                "version": "2023.03.04",
                "release_git_head": "392389b7df7b818f794b231f14dc396d4875fbad",
                "repository": "yt-dlp/yt-dlp"
              }
            }
            """;

    /** The info JSON yt-dlp 2023.03.04 wrote for the DASH manifest (formats 0+1 merged), re-indented. */
    static final String DASH_INFO_JSON = """
            {
              "id": "manifest",
              "title": "manifest",
              "timestamp": 1795917549.0,
              "formats": [
                {
                  "format_id": "1",
                  "manifest_url": "http://127.0.0.1:34253/dash/manifest.mpd",
                  "ext": "m4a",
                  "tbr": 128.0,
                  "asr": 44100,
                  "format_note": "DASH audio",
                  "container": "m4a_dash",
                  "vcodec": "none",
                  "acodec": "mp4a.40.2",
                  "url": "http://127.0.0.1:34253/dash/manifest.mpd",
                  "fragment_base_url": "http://127.0.0.1:34253/dash/",
                  "fragments": [
                    {
                      "path": "init-stream1.m4s"
                    },
                    {
                      "path": "chunk-stream1-00001.m4s",
                      "duration": 1.9969160997732427
                    },
                    {
                      "path": "chunk-stream1-00002.m4s",
                      "duration": 2.020136054421769
                    },
                    {
                      "path": "chunk-stream1-00003.m4s",
                      "duration": 2.020136054421769
                    },
                    {
                      "path": "chunk-stream1-00004.m4s",
                      "duration": 2.020136054421769
                    },
                    {
                      "path": "chunk-stream1-00005.m4s",
                      "duration": 2.020136054421769
                    },
                    {
                      "path": "chunk-stream1-00006.m4s",
                      "duration": 1.9225396825396825
                    }
                  ],
                  "protocol": "http_dash_segments",
                  "manifest_stream_number": 1,
                  "resolution": "audio only",
                  "http_headers": {
                    "User-Agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/97.0.4692.20 Safari/537.36",
                    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
                    "Accept-Language": "en-us,en;q=0.5",
                    "Sec-Fetch-Mode": "navigate"
                  },
                  "audio_ext": "m4a",
                  "video_ext": "none",
                  "abr": 128.0,
                  "format": "1 - audio only (DASH audio)"
                },
                {
                  "format_id": "0",
                  "manifest_url": "http://127.0.0.1:34253/dash/manifest.mpd",
                  "ext": "mp4",
                  "width": 1280,
                  "height": 720,
                  "tbr": 4000.0,
                  "format_note": "DASH video",
                  "container": "mp4_dash",
                  "vcodec": "avc1.42c01f",
                  "acodec": "none",
                  "dynamic_range": "SDR",
                  "url": "http://127.0.0.1:34253/dash/manifest.mpd",
                  "fragment_base_url": "http://127.0.0.1:34253/dash/",
                  "fragments": [
                    {
                      "path": "init-stream0.m4s"
                    },
                    {
                      "path": "chunk-stream0-00001.m4s",
                      "duration": 10.0
                    },
                    {
                      "path": "chunk-stream0-00002.m4s",
                      "duration": 2.0
                    }
                  ],
                  "protocol": "http_dash_segments",
                  "manifest_stream_number": 0,
                  "resolution": "1280x720",
                  "aspect_ratio": 1.78,
                  "http_headers": {
                    "User-Agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/97.0.4692.20 Safari/537.36",
                    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
                    "Accept-Language": "en-us,en;q=0.5",
                    "Sec-Fetch-Mode": "navigate"
                  },
                  "video_ext": "mp4",
                  "audio_ext": "none",
                  "vbr": 4000.0,
                  "format": "0 - 1280x720 (DASH video)"
                }
              ],
              "subtitles": {},
              "webpage_url": "http://127.0.0.1:34253/dash/manifest.mpd",
              "webpage_url_basename": "manifest.mpd",
              "webpage_url_domain": "127.0.0.1:34253",
              "extractor": "generic",
              "extractor_key": "Generic",
              "display_id": "manifest",
              "fulltitle": "manifest",
              "upload_date": "20261129",
              "format": "0 - 1280x720 (DASH video)+1 - audio only (DASH audio)",
              "format_id": "0+1",
              "ext": "mp4",
              "protocol": "http_dash_segments+http_dash_segments",
              "format_note": "DASH video+DASH audio",
              "tbr": 4128.0,
              "width": 1280,
              "height": 720,
              "resolution": "1280x720",
              "dynamic_range": "SDR",
              "vcodec": "avc1.42c01f",
              "vbr": 4000.0,
              "aspect_ratio": 1.78,
              "acodec": "mp4a.40.2",
              "abr": 128.0,
              "asr": 44100,
              "epoch": 1795917550,
              "_type": "video",
              "_version": {
                "version": "2023.03.04",
                "release_git_head": "392389b7df7b818f794b231f14dc396d4875fbad",
                "repository": "yt-dlp/yt-dlp"
              }
            }
            """;
}
