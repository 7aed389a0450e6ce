//! What the playback tests play: the sample library plus files made for one property each
//! (two audio tracks and a subtitle file, an album to check gapless play, broken files),
//! made once under the test target's temporary folder, and a way to wait for the player.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use hearth::config::PlaybackSettings;
use hearth_media::player::{AudioOutput, Player, PlayerEvent};
use hearth_media::samples::encode;

use crate::World;
use crate::services::TempDir;

/// Samples per buffer and buffers per file of the gapless album's two halves.
pub const GAPLESS_BUFFERS: u32 = 43;
pub const GAPLESS_SAMPLES_PER_BUFFER: u32 = 1024;

/// The folder of test media under `scratch` (an integration test's `CARGO_TARGET_TMPDIR`),
/// made on first use and kept for later runs.
pub fn media_under(scratch: &Path) -> &'static Path {
    static MEDIA: OnceLock<PathBuf> = OnceLock::new();
    MEDIA.get_or_init(|| {
        let folder = scratch.join("playback-media-v4");
        if !folder.join("done").exists() {
            let partial = folder.with_extension(format!("partial-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&partial);
            make(&partial);
            let _ = std::fs::remove_dir_all(&folder);
            std::fs::rename(&partial, &folder).expect("moving the test media into place");
        }
        folder
    })
}

fn make(folder: &Path) {
    hearth_media::samples::make_samples(folder).expect("making the samples");
    for sub in ["Tracks", "Gapless", "Broken", "Long album", "Colour"] {
        std::fs::create_dir_all(folder.join(sub)).expect("a folder");
    }
    // Black video with two audio tracks (English and German) and a subtitle file beside it.
    let audio = |frequency: u32, language: &str| {
        format!(
            "audiotestsrc freq={frequency} num-buffers=130 samplesperbuffer=1024 ! audio/x-raw,rate=44100,channels=2 ! audioconvert ! vorbisenc ! taginject tags=\"language-code=\\\"{language}\\\"\" ! mux."
        )
    };
    encode(
        &format!(
            "videotestsrc pattern=black num-buffers=75 ! video/x-raw,format=I420,width=320,height=240,framerate=25/1 ! vp8enc deadline=1 ! matroskamux name=mux ! filesink name=out {} {}",
            audio(300, "en"),
            audio(600, "de")
        ),
        &folder.join("Tracks/Two voices.mkv"),
    )
    .expect("encoding the two-track video");
    std::fs::write(
        folder.join("Tracks/Two voices.srt"),
        // GStreamer recognises a subtitle file from its first 129 bytes, so three cues.
        "1\n00:00:00,000 --> 00:00:01,500\nHEARTH HEARTH HEARTH\n\n\
         2\n00:00:01,500 --> 00:00:03,000\nHEARTH HEARTH HEARTH\n\n\
         3\n00:00:03,000 --> 00:00:05,000\nHEARTH HEARTH HEARTH\n\n",
    )
    .expect("a subtitle file");
    // Two halves of one tone, lossless, so every sample can be counted.
    for half in ["1", "2"] {
        encode(
            &format!(
                "audiotestsrc wave=sine freq=441 num-buffers={GAPLESS_BUFFERS} samplesperbuffer={GAPLESS_SAMPLES_PER_BUFFER} ! audio/x-raw,format=S16LE,rate=44100,channels=2 ! flacenc ! filesink name=out"
            ),
            &folder.join(format!("Gapless/{half}.flac")),
        )
        .expect("encoding the gapless album");
    }
    // Two songs long enough to be driven from outside while they play.
    for (number, title, frequency) in [(1, "First light", 330), (2, "Second wind", 392)] {
        encode(
            &format!(
                "audiotestsrc freq={frequency} num-buffers=860 samplesperbuffer=1024 ! audio/x-raw,rate=44100,channels=2 ! audioconvert ! vorbisenc ! taginject tags=\"title=\\\"{title}\\\",artist=\\\"Ada Lind\\\"\" ! oggmux ! filesink name=out"
            ),
            &folder.join(format!("Long album/0{number} {title}.ogg")),
        )
        .expect("encoding the long album");
    }
    // One colour (#3366cc) for 10 s, to check the colours each renderer shows.
    encode(
        "videotestsrc pattern=solid-color foreground-color=0xff3366cc num-buffers=250 ! video/x-raw,format=I420,width=640,height=360,framerate=25/1 ! x264enc speed-preset=ultrafast ! h264parse ! mp4mux ! filesink name=out",
        &folder.join("Colour/Blue.mp4"),
    )
    .expect("encoding the one-colour video");
    // Noise named like a video, a video cut short, and sound in a codec nobody has.
    let mut noise = vec![0u8; 64 * 1024];
    fastrand::Rng::with_seed(7).fill(&mut noise);
    std::fs::write(folder.join("Broken/Noise.mp4"), noise).expect("a noise file");
    let whole = std::fs::read(folder.join("Videos/Harbour at dusk.mp4")).expect("a video");
    std::fs::write(
        folder.join("Broken/Cut short.mp4"),
        &whole[..whole.len() / 3],
    )
    .expect("a cut video");
    // FLAC in Matroska with its codec id renamed to one no decoder knows (same length, so
    // the container stays valid).
    let flac = folder.join("Broken/flac.mka");
    encode(
        "audiotestsrc num-buffers=20 ! audio/x-raw,rate=44100,channels=2 ! audioconvert ! flacenc ! matroskamux ! filesink name=out",
        &flac,
    )
    .expect("encoding FLAC in Matroska");
    let mut bytes = std::fs::read(&flac).expect("the FLAC in Matroska");
    let at = bytes
        .windows(6)
        .position(|window| window == b"A_FLAC")
        .expect("the codec id");
    bytes[at..at + 6].copy_from_slice(b"A_HRTH");
    std::fs::write(folder.join("Broken/Unknown codec.mka"), bytes)
        .expect("a file in an unknown codec");
    std::fs::remove_file(flac).expect("removing the original");
    std::fs::write(folder.join("done"), "").expect("a marker");
}

/// The interleaved 16-bit samples of a PCM WAV file written by GStreamer's `wavenc`.
pub fn wav_samples(file: &Path) -> Vec<i16> {
    let bytes = std::fs::read(file).expect("reading the WAV");
    let mut at = 12;
    while at + 8 <= bytes.len() {
        let size = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().expect("4 bytes")) as usize;
        if &bytes[at..at + 4] == b"data" {
            let end = (at + 8 + size).min(bytes.len());
            return bytes[at + 8..end]
                .chunks_exact(2)
                .map(|pair| i16::from_le_bytes([pair[0], pair[1]]))
                .collect();
        }
        at += 8 + size + (size & 1);
    }
    panic!("{} has no data chunk", file.display());
}

/// A player and everything it reported.
pub struct Watched {
    pub player: Player,
    events: Receiver<PlayerEvent>,
    pub seen: Vec<PlayerEvent>,
}

impl Watched {
    pub fn new(audio: AudioOutput) -> Watched {
        Watched::with_limits(hearth_media::player::PlayerLimits::default(), audio)
    }

    /// A player whose process starts as `limits` say.
    pub fn with_limits(limits: hearth_media::player::PlayerLimits, audio: AudioOutput) -> Watched {
        let (sender, events) = std::sync::mpsc::channel();
        let sender = std::sync::Mutex::new(sender);
        let player = Player::with_limits(
            limits,
            audio,
            hearth_media::player::VideoFormat::Bgrx,
            std::sync::Arc::new(move |event| {
                let _ = sender.lock().expect("the sender").send(event);
            }),
        );
        Watched {
            player,
            events,
            seen: Vec::new(),
        }
    }

    /// Waits for an event that `matches` accepts and returns it; panics naming `what` after
    /// `timeout`, with what was seen.
    pub fn wait(
        &mut self,
        what: &str,
        timeout: Duration,
        matches: impl Fn(&PlayerEvent) -> bool,
    ) -> PlayerEvent {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.events.recv_timeout(left) {
                Ok(event) => {
                    self.seen.push(event.clone());
                    if matches(&event) {
                        return event;
                    }
                }
                Err(RecvTimeoutError::Timeout) | Err(RecvTimeoutError::Disconnected) => {
                    let tail: Vec<_> = self.seen.iter().rev().take(12).rev().collect();
                    panic!("no {what} within {timeout:?}; last events: {tail:#?}");
                }
            }
        }
    }

    /// Everything reported during `period`, apart from frames.
    pub fn during(&mut self, period: Duration) -> Vec<PlayerEvent> {
        let deadline = Instant::now() + period;
        let mut found = Vec::new();
        while let Ok(event) = self
            .events
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            self.seen.push(event.clone());
            if event != PlayerEvent::Frame {
                found.push(event);
            }
        }
        found
    }
}

/// A world over `media` scanned and read into an index in `dir`, with a silent player.
pub fn library_world(media: &Path, dir: &TempDir, width: u32, height: u32) -> World {
    let settings = crate::media::read_library(media, dir.path());
    let world = World::with(width, height, "en-US", crate::test_sim_config());
    world.app.attach_media(settings);
    world.app.attach_playback(PlaybackSettings {
        audio: AudioOutput::Silent,
        ..PlaybackSettings::default()
    });
    world.advance(20);
    world.draw();
    world
}

/// The real `hearth` (`binary`) on `xvfb`, with the session bus `bus`, no media library and
/// silent playback, its configuration and cache in `dir`; returns once MPRIS is offered.
pub fn hearth_with_mpris(
    binary: &Path,
    bus: &crate::services::PrivateBus,
    xvfb: &crate::xvfb::Xvfb,
    dir: &TempDir,
    args: &[&str],
) -> crate::xvfb::Running {
    // Two VMs that are off: the demo's would draw their screens every second, which is not
    // the player's doing.
    let config = "[media]\nroots = []\n\n[playback]\naudio = \"none\"\n\n\
         [[vm]]\nname = \"Work\"\nrole = \"work\"\nrunning = false\n\n\
         [[vm]]\nname = \"Personal\"\nrole = \"personal\"\nrunning = false\n";
    hearth_with_config(binary, bus, xvfb, dir, config, args, &[])
}

/// The real `hearth` (`binary`) on `xvfb` in English, with the session bus `bus`, the
/// configuration `config`, its configuration and cache in `dir`, and `env` besides; returns
/// once MPRIS is offered.
pub fn hearth_with_config(
    binary: &Path,
    bus: &crate::services::PrivateBus,
    xvfb: &crate::xvfb::Xvfb,
    dir: &TempDir,
    config: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> crate::xvfb::Running {
    let config_home = dir.path().join("config");
    std::fs::create_dir_all(config_home.join("hearth")).expect("a config folder");
    std::fs::write(config_home.join("hearth/hearth.toml"), config).expect("a config");
    let cache = dir.path().join("cache");
    let mut all = vec!["--language", "en-US"];
    all.extend(args);
    let mut environment = vec![
        ("SLINT_WGPU_CPU", "1"),
        ("DBUS_SESSION_BUS_ADDRESS", bus.address.as_str()),
        ("XDG_CONFIG_HOME", config_home.to_str().expect("UTF-8")),
        ("XDG_CACHE_HOME", cache.to_str().expect("UTF-8")),
    ];
    environment.extend(env);
    let mut hearth = crate::xvfb::Running::start_binary(binary, xvfb, &all, &environment);
    hearth.wait_for_log("MPRIS offered", Duration::from_secs(30));
    hearth
}

/// Runs `playerctl` against Hearth on `bus`: whether it succeeded, its answer, its errors.
pub fn playerctl(bus: &crate::services::PrivateBus, args: &[&str]) -> (bool, String, String) {
    let output = std::process::Command::new("playerctl")
        .arg("--player=hearth")
        .args(args)
        .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
        .output()
        .expect("running playerctl");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).trim().to_string(),
        String::from_utf8_lossy(&output.stderr).trim().to_string(),
    )
}
