# Test media for the bench scripts (sourced after common.sh).

# make_clip OUT SECONDS [WxH] — testsrc2 video (30 fps) with a 330 Hz tone, H.264/AAC mp4.
make_clip() {
  ffmpeg -v error -y -f lavfi -i "testsrc2=size=${3:-1280x720}:rate=30" -f lavfi -i "sine=frequency=330:sample_rate=48000" \
    -t "$2" -c:v libx264 -preset veryfast -pix_fmt yuv420p -c:a aac -b:a 128k -movflags +faststart "$1"
}

# make_vtt OUT SECONDS — a bilingual cue (English line, Chinese line) every 3 s, 2.5 s long.
make_vtt() {
  local t=0 n=1
  {
    printf 'WEBVTT\n\n'
    while [ $((t + 3)) -le "$2" ]; do
      printf '%d\n%02d:%02d:%02d.000 --> %02d:%02d:%02d.500\nCue %d: the quick brown fox jumps over the lazy dog.\n- 第%d条：敏捷的棕色狐狸跳过了懒狗。\n\n' \
        "$n" $((t / 3600)) $((t / 60 % 60)) $((t % 60)) $(((t + 2) / 3600)) $(((t + 2) / 60 % 60)) $(((t + 2) % 60)) "$n" "$n"
      t=$((t + 3)); n=$((n + 1))
    done
  } >"$1"
}
