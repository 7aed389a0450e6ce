//! The player through GStreamer's real pipeline on generated media: play, pause, seek, the
//! end, every sample format, audio and subtitle tracks, gapless albums checked sample by
//! sample, next/previous, and files that cannot be played.

use std::time::Duration;

use hearth_media::player::{
    AudioOutput, Edit, OpenRequest, Placement, PlayState, PlayerEvent, Problem, Tracks,
};
use hearth_tests::playback::{
    GAPLESS_BUFFERS, GAPLESS_SAMPLES_PER_BUFFER, Watched, media_under, wav_samples,
};
use hearth_tests::services::TempDir;

const SOON: Duration = Duration::from_secs(20);

/// The test media, made once and kept in the test target's temporary folder.
pub fn media() -> &'static std::path::Path {
    media_under(std::path::Path::new(env!("CARGO_TARGET_TMPDIR")))
}

fn open(watched: &Watched, files: &[&str], request: OpenRequest) {
    watched.player.open(OpenRequest {
        files: files.iter().map(|file| media().join(file)).collect(),
        ..request
    });
}

fn is_state(state: PlayState) -> impl Fn(&PlayerEvent) -> bool {
    move |event| *event == PlayerEvent::State(state)
}

fn position_of(event: &PlayerEvent) -> Duration {
    match event {
        PlayerEvent::Position { position, .. } | PlayerEvent::Seeked(position) => *position,
        other => panic!("not a position: {other:?}"),
    }
}

#[test]
fn a_video_plays_pauses_seeks_and_ends() {
    let mut watched = Watched::new(AudioOutput::Silent);
    open(
        &watched,
        &["Videos/Harbour at dusk.mp4"],
        OpenRequest::default(),
    );
    watched.wait("the start", SOON, |e| {
        matches!(e, PlayerEvent::Started { index: 0, .. })
    });
    watched.wait("playing", SOON, is_state(PlayState::Playing));
    // The first frame came with the preroll, before playing.
    let (width, height, stride, lit) = watched
        .player
        .video()
        .take_since(0, |frame| {
            let lit = frame.data[..frame.stride * frame.height as usize]
                .chunks(4)
                .filter(|pixel| pixel[0] > 40 || pixel[1] > 40 || pixel[2] > 40)
                .count();
            (frame.width, frame.height, frame.stride, lit)
        })
        .map(|(_, read)| read)
        .expect("a frame to read");
    assert_eq!((width, height), (640, 360));
    assert!(stride >= 640 * 4);
    assert!(lit > 10_000, "the pinwheel is drawn, not a blank frame");

    let first = watched.wait("a position", SOON, |e| {
        matches!(e, PlayerEvent::Position { .. })
    });
    let later = watched.wait("a later position", SOON, |e| {
        matches!(e, PlayerEvent::Position { position, .. } if *position > position_of(&first) + Duration::from_millis(400))
    });
    match later {
        PlayerEvent::Position { duration, .. } => {
            let duration = duration.expect("a duration");
            assert!(
                (3900..=4100).contains(&duration.as_millis()),
                "{duration:?}"
            );
        }
        _ => unreachable!(),
    }

    watched.player.pause();
    watched.wait("paused", SOON, is_state(PlayState::Paused));
    // The position where it stopped may still come; after that, nothing.
    watched.during(Duration::from_millis(300));
    let idle = watched.during(Duration::from_millis(1200));
    assert!(idle.is_empty(), "a paused player says nothing: {idle:?}");

    // Take what is waiting, so the frame the seek brings is news.
    watched.player.video().take_since(0, |_| ());
    watched.player.seek(Duration::from_millis(3000));
    let seeked =
        position_of(&watched.wait("the seek", SOON, |e| matches!(e, PlayerEvent::Seeked(_))));
    assert!(
        seeked.abs_diff(Duration::from_millis(3000)) < Duration::from_millis(100),
        "{seeked:?}"
    );
    assert!(
        watched.player.video().fresh(),
        "the frame at the new place came before the seek was reported"
    );
    watched.player.play();
    watched.wait("playing again", SOON, is_state(PlayState::Playing));
    watched.wait("the end", SOON, is_state(PlayState::Ended));
    let stats = watched.player.video().stats();
    assert!(stats.shown + stats.replaced > 10, "{stats:?}");
}

#[test]
fn every_sample_format_opens_with_its_tracks_and_plays_from_a_resume_point() {
    let cases = [
        ("Videos/Harbour at dusk.mp4", true, None),
        ("Videos/Night train.webm", true, None),
        (
            "Music/Ada Lind - Blue Hour/01 Morning.flac",
            false,
            Some("Morning"),
        ),
        (
            "Music/Ada Lind - Blue Hour/02 Noon.mp3",
            false,
            Some("Noon"),
        ),
        (
            "Music/Ada Lind - Blue Hour/03 Evening.opus",
            false,
            Some("Evening"),
        ),
    ];
    for (file, video, title) in cases {
        let mut watched = Watched::new(AudioOutput::Silent);
        open(
            &watched,
            &[file],
            OpenRequest {
                position: Some(Duration::from_millis(2000)),
                ..OpenRequest::default()
            },
        );
        let tracks = watched.wait(&format!("{file}'s tracks"), SOON, |e| {
            matches!(e, PlayerEvent::Tracks(_))
        });
        let PlayerEvent::Tracks(tracks) = tracks else {
            unreachable!()
        };
        assert_eq!(tracks.has_video, video, "{file}: {tracks:?}");
        assert_eq!(tracks.audio.len(), 1, "{file}: {tracks:?}");
        let resumed = watched.wait(&format!("{file} at its resume point"), SOON, |e| {
            matches!(e, PlayerEvent::Seeked(_))
        });
        assert!(
            position_of(&resumed).abs_diff(Duration::from_millis(2000))
                < Duration::from_millis(150),
            "{file}: {resumed:?}"
        );
        watched.wait(
            &format!("{file} playing"),
            SOON,
            is_state(PlayState::Playing),
        );
        watched.wait(&format!("{file}'s end"), SOON, is_state(PlayState::Ended));
        if let Some(title) = title {
            assert!(
                watched.seen.iter().any(
                    |e| matches!(e, PlayerEvent::Tags(tags) if tags.title.as_deref() == Some(title))
                ),
                "{file}'s title"
            );
        }
        assert!(
            !watched
                .seen
                .iter()
                .any(|e| matches!(e, PlayerEvent::Failed { .. })),
            "{file}: {:?}",
            watched.seen
        );
    }
}

/// How many bright pixels the bottom half of the newest frame has (subtitles are white
/// text over the black video).
fn bright_pixels_below(watched: &Watched) -> usize {
    watched
        .player
        .video()
        .take_since(0, |frame| {
            let half = frame.height as usize / 2;
            frame.data[half * frame.stride..frame.height as usize * frame.stride]
                .chunks(frame.stride)
                .flat_map(|row| row[..frame.width as usize * 4].chunks(4))
                .filter(|pixel| pixel[0] > 200 && pixel[1] > 200 && pixel[2] > 200)
                .count()
        })
        .map(|(_, count)| count)
        .expect("a frame")
}

fn tracks_where(watched: &mut Watched, what: &str, check: impl Fn(&Tracks) -> bool) -> Tracks {
    match watched.wait(
        what,
        SOON,
        |e| matches!(e, PlayerEvent::Tracks(t) if check(t)),
    ) {
        PlayerEvent::Tracks(tracks) => tracks,
        _ => unreachable!(),
    }
}

#[test]
fn audio_tracks_and_subtitles_switch() {
    let mut watched = Watched::new(AudioOutput::Silent);
    open(
        &watched,
        &["Tracks/Two voices.mkv"],
        OpenRequest {
            paused: true,
            position: Some(Duration::from_millis(1000)),
            ..OpenRequest::default()
        },
    );
    let tracks = tracks_where(&mut watched, "the tracks", |_| true);
    let languages: Vec<_> = tracks.audio.iter().map(|t| t.language.as_deref()).collect();
    assert_eq!(languages, [Some("en"), Some("de")], "{tracks:?}");
    assert_eq!(tracks.current_audio, Some(0));
    assert_eq!(
        tracks.subtitles.len(),
        1,
        "the .srt beside the video: {tracks:?}"
    );
    assert!(tracks.subtitles[0].external);
    assert_eq!(
        tracks.current_subtitle,
        Some(0),
        "subtitles are on by default"
    );
    watched.wait("the resume point", SOON, |e| {
        matches!(e, PlayerEvent::Seeked(_))
    });
    let with_text = bright_pixels_below(&watched);
    assert!(
        with_text > 30,
        "the subtitle is drawn: {with_text} bright pixels"
    );

    watched.player.select_subtitle(None);
    tracks_where(&mut watched, "subtitles off", |t| {
        t.current_subtitle.is_none()
    });
    watched.player.seek(Duration::from_millis(1200));
    watched.wait("the seek", SOON, |e| matches!(e, PlayerEvent::Seeked(_)));
    assert_eq!(bright_pixels_below(&watched), 0, "no subtitle once off");

    watched.player.select_subtitle(Some(0));
    tracks_where(&mut watched, "subtitles on", |t| {
        t.current_subtitle == Some(0)
    });
    watched.player.select_audio(1);
    let tracks = tracks_where(&mut watched, "the German track", |t| {
        t.current_audio == Some(1)
    });
    assert_eq!(tracks.audio[1].language.as_deref(), Some("de"));
    watched.player.play();
    watched.wait("playing in German", SOON, is_state(PlayState::Playing));
}

#[test]
fn an_album_plays_gapless_to_the_last_sample() {
    let out = TempDir::new("gapless");
    let wav = out.path().join("out.wav");
    let mut watched = Watched::new(AudioOutput::Wav(wav.clone()));
    open(
        &watched,
        &["Gapless/1.flac", "Gapless/2.flac"],
        OpenRequest::default(),
    );
    watched.wait("the first file", SOON, |e| {
        matches!(e, PlayerEvent::Started { index: 0, .. })
    });
    watched.wait("the second file", SOON, |e| {
        matches!(e, PlayerEvent::Started { index: 1, .. })
    });
    watched.wait("the end", SOON, is_state(PlayState::Ended));
    let samples = wav_samples(&wav);
    let frames = samples.len() / 2;
    let expected = 2 * GAPLESS_BUFFERS * GAPLESS_SAMPLES_PER_BUFFER;
    assert_eq!(
        frames, expected as usize,
        "both files, every sample, nothing between"
    );
    // A 441 Hz tone at 44.1 kHz crosses zero every 50 samples; silence would be a long run.
    let longest_quiet = samples
        .chunks_exact(2)
        .fold((0, 0), |(run, longest), frame| {
            let run = if frame[0].unsigned_abs() < 200 {
                run + 1
            } else {
                0
            };
            (run, longest.max(run))
        })
        .1;
    assert!(longest_quiet <= 3, "a gap of {longest_quiet} quiet samples");
}

#[test]
fn next_previous_and_the_queue_end() {
    let album = [
        "Music/Ada Lind - Blue Hour/01 Morning.flac",
        "Music/Ada Lind - Blue Hour/02 Noon.mp3",
        "Music/Ada Lind - Blue Hour/03 Evening.opus",
    ];
    let mut watched = Watched::new(AudioOutput::Silent);
    open(&watched, &album, OpenRequest::default());
    watched.wait("the first song", SOON, |e| {
        matches!(e, PlayerEvent::Started { index: 0, .. })
    });
    watched.wait("playing", SOON, is_state(PlayState::Playing));
    watched.player.next();
    watched.wait("the second song", SOON, |e| {
        matches!(e, PlayerEvent::Started { index: 1, .. })
    });
    watched.wait("playing the second", SOON, is_state(PlayState::Playing));
    watched.player.previous();
    watched.wait("back to the first", SOON, |e| {
        matches!(e, PlayerEvent::Started { index: 0, .. })
    });
    watched.player.next();
    watched.player.next();
    watched.wait("the last song", SOON, |e| {
        matches!(e, PlayerEvent::Started { index: 2, .. })
    });
    watched.player.next();
    watched.player.seek(Duration::from_millis(2500));
    watched.wait("the end of the album", SOON, is_state(PlayState::Ended));
}

#[test]
fn broken_and_unsupported_files_fail_with_a_reason_and_the_player_goes_on() {
    let mut watched = Watched::new(AudioOutput::Silent);
    for (file, expect_codec) in [
        ("Broken/Noise.mp4", false),
        ("Broken/Cut short.mp4", false),
        ("Broken/Unknown codec.mka", true),
    ] {
        open(&watched, &[file], OpenRequest::default());
        let failed = watched.wait(&format!("{file} refused"), SOON, |e| {
            matches!(e, PlayerEvent::Failed { .. })
        });
        let PlayerEvent::Failed {
            path,
            problem,
            detail,
        } = failed
        else {
            unreachable!()
        };
        assert!(path.ends_with(file));
        assert!(!detail.is_empty());
        assert_eq!(
            matches!(problem, Problem::MissingCodec(_)),
            expect_codec,
            "{file}: {problem:?} ({detail})"
        );
        watched.wait(
            &format!("{file} stopped"),
            SOON,
            is_state(PlayState::Stopped),
        );
    }
    open(
        &watched,
        &["Videos/Night train.webm"],
        OpenRequest::default(),
    );
    watched.wait(
        "a good file after the bad ones",
        SOON,
        is_state(PlayState::Playing),
    );
}

#[test]
fn songs_added_play_next_or_last_and_a_finished_queue_goes_on_with_them() {
    // Songs of 20 s: the gapless hand-over of the next one is due only near their end.
    let album = [
        "Long album/01 First light.ogg",
        "Long album/02 Second wind.ogg",
    ];
    let evening = media().join("Music/Ada Lind - Blue Hour/03 Evening.opus");
    let mut watched = Watched::new(AudioOutput::Silent);
    open(&watched, &album, OpenRequest::default());
    watched.wait("the first song", SOON, |e| {
        matches!(e, PlayerEvent::Started { index: 0, .. })
    });
    watched.wait("up next: the second", SOON, |e| {
        *e == PlayerEvent::UpNext(Some(1))
    });
    // Added to play next, it comes before the rest of the album (file 2, after the two).
    watched.player.add(vec![evening.clone()], Placement::Next);
    watched.wait("up next: the one added", SOON, |e| {
        *e == PlayerEvent::UpNext(Some(2))
    });
    watched.player.next();
    watched.wait("the one added", SOON, |e| {
        matches!(e, PlayerEvent::Started { index: 2, .. })
    });
    watched.wait("up next: the album again", SOON, |e| {
        *e == PlayerEvent::UpNext(Some(1))
    });
    watched.player.next();
    watched.wait("the second song", SOON, |e| {
        matches!(e, PlayerEvent::Started { index: 1, .. })
    });
    watched.wait("playing the second", SOON, is_state(PlayState::Playing));
    watched.player.seek(Duration::from_millis(19_000));
    watched.wait("the end of the queue", SOON, is_state(PlayState::Ended));

    // Added after the end, a song plays at once; added while the last one plays (before or
    // after its hand-over was due), it follows it.
    watched.player.add(vec![evening.clone()], Placement::End);
    watched.wait("the song added after the end", SOON, |e| {
        matches!(e, PlayerEvent::Started { index: 3, .. })
    });
    watched.wait("playing again", SOON, is_state(PlayState::Playing));
    watched.player.add(vec![evening.clone()], Placement::End);
    watched.wait("the song added during the last", SOON, |e| {
        matches!(e, PlayerEvent::Started { index: 4, .. })
    });
    watched.wait(
        "the end of the longer queue",
        SOON,
        is_state(PlayState::Ended),
    );
}

#[test]
fn queued_songs_are_removed_moved_and_jumped_to() {
    let files = [
        "Long album/01 First light.ogg",
        "Long album/02 Second wind.ogg",
        "Music/Ada Lind - Blue Hour/01 Morning.flac",
        "Music/Ada Lind - Blue Hour/02 Noon.mp3",
        "Music/Ada Lind - Blue Hour/03 Evening.opus",
    ];
    let mut watched = Watched::new(AudioOutput::Silent);
    open(&watched, &files, OpenRequest::default());
    watched.wait("the whole order", SOON, |e| {
        *e == PlayerEvent::Order(vec![0, 1, 2, 3, 4])
    });
    watched.wait("the first song", SOON, |e| {
        matches!(e, PlayerEvent::Started { index: 0, .. })
    });

    watched.player.edit(Edit::Remove(1));
    watched.wait("the second removed", SOON, |e| {
        *e == PlayerEvent::Order(vec![0, 2, 3, 4])
    });
    watched.wait("up next: Morning", SOON, |e| {
        *e == PlayerEvent::UpNext(Some(2))
    });
    watched.player.edit(Edit::Move {
        index: 4,
        before: Some(2),
    });
    watched.wait("Evening moved up", SOON, |e| {
        *e == PlayerEvent::Order(vec![0, 4, 2, 3])
    });
    watched.wait("up next: Evening", SOON, |e| {
        *e == PlayerEvent::UpNext(Some(4))
    });
    watched.player.next();
    watched.wait("Evening", SOON, |e| {
        matches!(e, PlayerEvent::Started { index: 4, .. })
    });
    watched.player.jump(3);
    watched.wait("Noon, jumped to", SOON, |e| {
        matches!(e, PlayerEvent::Started { index: 3, .. })
    });
    watched.wait("nothing after Noon", SOON, |e| {
        *e == PlayerEvent::UpNext(None)
    });

    // Back to Evening; near its end Morning is taken out: Noon follows instead, and Morning
    // never starts. (The gapless hand-over comes in a song's last moments, too late to aim
    // at from here; the queue's unit tests cover a change after it.)
    watched.player.jump(4);
    watched.wait("Evening again", SOON, |e| {
        matches!(e, PlayerEvent::Started { index: 4, .. })
    });
    watched.wait("Evening near its end", SOON, |e| {
        matches!(e, PlayerEvent::Position { position, .. } if *position >= Duration::from_millis(1500))
    });
    watched.player.edit(Edit::Remove(2));
    let started = watched.wait("the song after Evening", SOON, |e| {
        matches!(e, PlayerEvent::Started { .. })
    });
    assert!(
        matches!(started, PlayerEvent::Started { index: 3, .. }),
        "Noon follows, not {started:?}"
    );
    watched.wait("the end of the queue", SOON, is_state(PlayState::Ended));
    assert!(
        !watched
            .seen
            .iter()
            .any(|e| matches!(e, PlayerEvent::Started { index: 2, .. })),
        "Morning never started"
    );
}

#[test]
fn frames_come_scaled_to_the_box_they_are_shown_in() {
    let mut watched = Watched::new(AudioOutput::Silent);
    // A 640x360 video in a 320x240 box: 320x180, its shape kept. In a box larger than the
    // video it comes as decoded, never enlarged.
    for (video_box, expected) in [((320, 240), (320, 180)), ((1280, 800), (640, 360))] {
        watched.player.set_video_box(video_box.0, video_box.1);
        open(
            &watched,
            &["Videos/Harbour at dusk.mp4"],
            OpenRequest {
                paused: true,
                ..OpenRequest::default()
            },
        );
        watched.wait(
            "paused on the first frame",
            SOON,
            is_state(PlayState::Paused),
        );
        let size = watched
            .player
            .video()
            .take_since(0, |frame| (frame.width, frame.height))
            .map(|(_, size)| size);
        assert_eq!(size, Some(expected), "in a {video_box:?} box");
        watched.player.stop();
        watched.wait("stopped", SOON, is_state(PlayState::Stopped));
    }
}
