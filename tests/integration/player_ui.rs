//! The player on screen over a real library and the real pipeline: a tapped video plays
//! full-screen; taps, double taps and swipes drive it; music plays on in the mini player;
//! a switch to a VM pauses video and coming back restores it; a file that cannot play ends
//! on an error screen. Screens are saved to the test target's `player-screens/`.

use std::path::Path;
use std::time::Duration;

use hearth::playback::QueueItem;
use hearth_media::Index;
use hearth_tests::World;
use hearth_tests::playback::{library_world, media_under};
use hearth_tests::services::TempDir;
use hearth_ui::{PlayerAdapter, Screen};
use slint::{ComponentHandle, LogicalPosition, Model};

const WAIT: Duration = Duration::from_secs(20);

fn media() -> &'static Path {
    media_under(Path::new(env!("CARGO_TARGET_TMPDIR")))
}

/// A world over a read library of the test media, with a silent player.
fn world(dir: &TempDir, width: u32, height: u32) -> World {
    library_world(media(), dir, width, height)
}

fn player(world: &World) -> PlayerAdapter<'_> {
    world.app.window().global::<PlayerAdapter>()
}

fn shot(world: &World, name: &str) {
    let scratch = Path::new(env!("CARGO_TARGET_TMPDIR"));
    hearth_tests::media::save_screen(world, &hearth_tests::media::player_screens(scratch), name);
}

fn shown(world: &World, label: &str) -> bool {
    world.draw();
    world.find(label).is_some()
}

/// Two quick taps at one place.
fn double_tap(world: &World, at: LogicalPosition) {
    for _ in 0..2 {
        world.pointer(at, true);
        world.advance(40);
        world.pointer(at, false);
        world.advance(60);
    }
}

fn swipe(world: &World, from: LogicalPosition, dx: f32) {
    let window = world.app.window().window();
    world.pointer(from, true);
    for step in 1..=8 {
        let position = LogicalPosition::new(from.x + dx * step as f32 / 8.0, from.y);
        window.dispatch_event(slint::platform::WindowEvent::PointerMoved { position });
        world.advance(16);
    }
    world.pointer(LogicalPosition::new(from.x + dx, from.y), false);
    world.advance(20);
}

fn wait_position(world: &World, what: &str, check: impl Fn(f32) -> bool) {
    world.wait_until(what, WAIT, |w| check(player(w).get_position()));
}

#[test]
fn a_tapped_video_plays_and_taps_double_taps_and_swipes_drive_it() {
    let dir = TempDir::new("player-video");
    let world = world(&dir, 1280, 800);
    world.app.open_media_shelf("videos");
    world.draw();
    world.tap("Harbour at dusk");
    assert_eq!(world.screen(), Screen::Player);
    world.wait_until("the video playing", WAIT, |w| {
        player(w).get_playing() && player(w).get_has_video()
    });
    world.wait_until("a frame on screen", WAIT, |w| {
        let frame = player(w).get_frame().size();
        (frame.width, frame.height) == (640, 360)
    });
    assert_eq!(player(&world).get_title(), "Harbour at dusk");
    shot(&world, "video-1280x800");

    // The big button pauses; the screen says so once the pipeline has.
    world.tap("Pause");
    world.wait_until("paused", WAIT, |w| !player(w).get_playing());
    assert!(shown(&world, "Play"), "the controls stay while paused");

    // A double tap on the right third seeks forward (to near the end of this short clip),
    // on the left third back to the start.
    double_tap(&world, LogicalPosition::new(1100.0, 400.0));
    wait_position(&world, "the forward seek", |p| p > 3.0);
    double_tap(&world, LogicalPosition::new(180.0, 400.0));
    wait_position(&world, "the backward seek", |p| p < 0.5);

    // A swipe to the right seeks by how far it went: the width is 30 s for a short clip.
    swipe(&world, LogicalPosition::new(400.0, 300.0), 100.0);
    wait_position(&world, "the swipe seek", |p| (1.8..3.2).contains(&p));

    // Playing, a tap hides the controls and another brings them back.
    double_tap(&world, LogicalPosition::new(180.0, 400.0));
    wait_position(&world, "back at the start", |p| p < 0.5);
    world.tap("Play");
    world.wait_until("playing again", WAIT, |w| player(w).get_playing());
    world.pointer(LogicalPosition::new(640.0, 200.0), true);
    world.advance(30);
    world.pointer(LogicalPosition::new(640.0, 200.0), false);
    world.advance(400);
    assert!(!shown(&world, "Pause"), "a tap hides the controls");
    world.pointer(LogicalPosition::new(640.0, 200.0), true);
    world.advance(30);
    world.pointer(LogicalPosition::new(640.0, 200.0), false);
    world.advance(400);
    assert!(shown(&world, "Pause"), "another tap shows them");

    // A finger on the seek bar shows the picture and time under it; lifting it seeks there.
    world.tap("Pause");
    world.wait_until("paused", WAIT, |w| !player(w).get_playing());
    let bar = world.find("Position").expect("the seek bar");
    let (origin, size) = (bar.absolute_position(), bar.size());
    let at = LogicalPosition::new(origin.x + size.width * 0.75, origin.y + size.height / 2.0);
    world.pointer(at, true);
    world.advance(30);
    world.wait_until("a preview of 0:03", WAIT, |w| {
        player(w).get_has_preview() && player(w).get_preview_text() == "0:03"
    });
    let preview = player(&world).get_preview().size();
    assert_eq!(preview.width, 240, "a small picture, not the frame");
    // Made in the player process: no decoding thread of Hearth's own looked it up.
    let threads: Vec<String> = std::fs::read_dir("/proc/self/task")
        .expect("this process's threads")
        .flatten()
        .filter_map(|task| std::fs::read_to_string(task.path().join("comm")).ok())
        .collect();
    assert!(
        !threads.iter().any(|name| name.trim() == "hearth-preview"),
        "a preview pipeline runs in Hearth's process: {threads:?}"
    );
    shot(&world, "video-scrubbing-1280x800");
    world.pointer(at, false);
    wait_position(&world, "the seek where the finger lifted", |p| {
        (2.9..3.2).contains(&p)
    });

    world.tap("Close the player");
    assert_eq!(world.screen(), Screen::Media);
    world.wait_until("the video stopped", WAIT, |w| !player(w).get_playing());
    assert!(
        !player(&world).get_mini_visible(),
        "a video does not go on in the mini player"
    );
}

#[test]
fn music_plays_on_in_the_mini_player_and_a_vm_switch_pauses_video_until_back() {
    let dir = TempDir::new("player-music");
    let world = world(&dir, 800, 480);
    world.app.open_media_shelf("music");
    world.draw();
    world.tap("Blue Hour");
    world.draw();
    world.tap("Morning");
    assert_eq!(world.screen(), Screen::Player);
    world.wait_until("the song playing", WAIT, |w| player(w).get_playing());
    assert!(!player(&world).get_has_video());
    assert_eq!(player(&world).get_subtitle(), "Ada Lind · Blue Hour");
    assert!(player(&world).get_has_cover(), "the album art");
    shot(&world, "music-800x480");
    world.tap("Next");
    world.wait_until("the next song", WAIT, |w| player(w).get_title() == "Noon");

    world.tap("Close the player");
    assert_eq!(world.screen(), Screen::Media);
    assert!(player(&world).get_mini_visible());
    assert!(shown(&world, "Open the player"));
    shot(&world, "mini-player-800x480");
    // Music plays on while a VM is in front.
    world.app.request_switch(hearth::app::Target::Index(0), 1);
    world.settle();
    assert_eq!(world.screen(), Screen::Vm);
    std::thread::sleep(Duration::from_millis(600));
    world.advance(10);
    assert!(player(&world).get_playing(), "music plays on");
    world.app.go_home();
    world.tap("Open the player");
    assert_eq!(world.screen(), Screen::Player);

    // A video is paused by the switch and resumes, on its screen, when home is asked for.
    world.app.playback().expect("playback").play(
        vec![QueueItem {
            path: media().join("Videos/Night train.webm"),
            title: "Night train".into(),
            subtitle: String::new(),
            cover: None,
        }],
        0,
        None,
    );
    world.wait_until("the video playing", WAIT, |w| {
        player(w).get_playing() && player(w).get_has_video()
    });
    shot(&world, "video-800x480");
    world.app.request_switch(hearth::app::Target::Index(0), 1);
    world.settle();
    world.wait_until("the video paused", WAIT, |w| !player(w).get_playing());
    world.app.go_home();
    assert_eq!(world.screen(), Screen::Player, "back where the user was");
    world.wait_until("the video playing again", WAIT, |w| player(w).get_playing());
}

#[test]
fn a_file_that_cannot_play_ends_on_an_error_screen_and_hearth_goes_on() {
    let dir = TempDir::new("player-errors");
    let world = world(&dir, 1280, 800);
    let counts = || {
        Index::open(&dir.path().join("index.sqlite"))
            .and_then(|index| index.counts())
            .expect("the library's counts")
    };
    let counts_before = counts();
    let item = |file: &str| QueueItem {
        path: media().join(file),
        title: file.into(),
        subtitle: String::new(),
        cover: None,
    };
    let playback = world.app.playback().expect("playback");
    playback.play(vec![item("Broken/Cut short.mp4")], 0, None);
    world.wait_until("the error screen", WAIT, |w| {
        player(w).get_error_title() != ""
    });
    assert_eq!(
        player(&world).get_error_title(),
        "“Cut short.mp4” cannot be played"
    );
    assert_eq!(
        player(&world).get_error_text(),
        "The file is damaged or is not a media file."
    );
    shot(&world, "error-broken-1280x800");
    playback.play(vec![item("Broken/Unknown codec.mka")], 0, None);
    world.wait_until("the codec error", WAIT, |w| {
        player(w)
            .get_error_text()
            .starts_with("Hearth has no decoder")
    });
    world.app.set_language("de");
    world.advance(20);
    assert!(
        player(&world)
            .get_error_text()
            .starts_with("Hearth hat keinen Decoder"),
        "re-worded: {}",
        player(&world).get_error_text()
    );
    shot(&world, "error-codec-de-1280x800");
    world.tap("Player schließen");
    assert_eq!(world.screen(), Screen::Home);
    assert_eq!(counts(), counts_before, "the library is intact");
    playback.play(vec![item("Videos/Night train.webm")], 0, None);
    world.wait_until("a good file after the bad", WAIT, |w| {
        player(w).get_playing()
    });
}

#[test]
fn a_video_stopped_part_way_continues_from_home_where_it_stopped() {
    let dir = TempDir::new("player-resume");
    let world = world(&dir, 1280, 1100);
    let media_adapter = || world.app.window().global::<hearth_ui::MediaAdapter>();
    assert_eq!(media_adapter().get_continuing().row_count(), 0);
    world.app.open_media_shelf("videos");
    world.draw();
    world.tap("Night train");
    world.wait_until("the video playing", WAIT, |w| player(w).get_playing());
    world.tap("Pause");
    world.wait_until("paused", WAIT, |w| !player(w).get_playing());
    player(&world).invoke_seek(2.0);
    wait_position(&world, "the seek", |p| (1.9..2.1).contains(&p));
    world.tap("Close the player");
    world.app.go_home();
    world.wait_until("the video under Continue watching", WAIT, |_| {
        media_adapter().get_continuing().row_count() == 1
    });
    world.draw();
    shot(&world, "continue-watching-1280x1100");
    assert_eq!(
        media_adapter()
            .get_continuing()
            .row_data(0)
            .map(|card| card.title.to_string()),
        Some("Night train".to_string())
    );
    media_adapter().invoke_open_continuing(0);
    assert_eq!(world.screen(), Screen::Player);
    world.wait_until("playing from where it stopped", WAIT, |w| {
        player(w).get_playing() && player(w).get_position() >= 1.9
    });

    // Played to the end, it leaves the row.
    player(&world).invoke_seek(3.9);
    world.wait_until("the end", WAIT, |w| !player(w).get_playing());
    world.tap("Close the player");
    world.wait_until("the row emptied", WAIT, |_| {
        media_adapter().get_continuing().row_count() == 0
    });
    // Its card now carries the played mark.
    world.app.open_media_shelf("videos");
    world.draw();
    let played: Vec<(String, bool)> = media_adapter()
        .get_items()
        .iter()
        .map(|card| (card.title.to_string(), card.played))
        .collect();
    assert!(
        played.contains(&("Night train".to_string(), true)),
        "{played:?}"
    );
    assert!(
        played.contains(&("Harbour at dusk".to_string(), false)),
        "{played:?}"
    );
    shot(&world, "videos-played-1280x1100");
}

#[test]
fn seek_gestures_switched_off_in_settings_leave_the_video_alone() {
    let dir = TempDir::new("player-settings");
    let world = world(&dir, 1280, 800);
    world.app.show_settings();
    world.draw();
    world.tap("Swipe sideways on a video to seek");
    world.tap("Double-tap a video's side to jump 10 s");
    assert!(!player(&world).get_swipe_seek());
    assert!(!player(&world).get_double_tap_seek());

    world.app.open_media_shelf("videos");
    world.draw();
    world.tap("Harbour at dusk");
    world.wait_until("the video playing", WAIT, |w| player(w).get_playing());
    world.tap("Pause");
    world.wait_until("paused", WAIT, |w| !player(w).get_playing());
    let before = player(&world).get_position();
    swipe(&world, LogicalPosition::new(400.0, 300.0), 300.0);
    double_tap(&world, LogicalPosition::new(1100.0, 400.0));
    std::thread::sleep(Duration::from_millis(500));
    world.advance(20);
    assert_eq!(player(&world).get_position(), before, "no seek");
}

#[test]
fn a_song_held_down_plays_next_and_an_album_added_goes_to_the_end() {
    let dir = TempDir::new("player-queue");
    let world = world(&dir, 1280, 800);
    let media = || world.app.window().global::<hearth_ui::MediaAdapter>();
    world.app.open_media_shelf("music");
    world.draw();
    world.tap("Blue Hour");
    world.draw();
    world.tap("Morning");
    world.wait_until("the song playing", WAIT, |w| player(w).get_playing());
    world.wait_until("up next", WAIT, |w| {
        player(w).get_up_next() == "Up next: Noon"
    });
    world.tap("Close the player");
    assert_eq!(world.screen(), Screen::Media);

    // A tap still opens; holding a song offers its actions.
    world.draw();
    world.long_press("Evening", 700);
    assert!(media().get_hold_open(), "the song's actions");
    assert_eq!(media().get_hold_title(), "Evening");
    assert!(shown(&world, "Add to queue"));
    shot(&world, "queue-actions-1280x800");
    world.tap("Play next");
    assert!(!media().get_hold_open());
    assert_eq!(world.screen(), Screen::Media, "the browser stays");
    assert_eq!(media().get_toast(), "Plays next: Evening");
    shot(&world, "queued-next-1280x800");
    world.wait_until("up next after the edit", WAIT, |w| {
        player(w).get_up_next() == "Up next: Evening"
    });
    assert_eq!(player(&world).get_title(), "Morning", "what plays goes on");
    world.advance(2600);
    assert_eq!(media().get_toast(), "", "the message goes by itself");

    // The album added goes after everything queued: Next still goes to Evening, then the
    // rest of the album, then the album again from its first song.
    world.tap("Back");
    world.draw();
    world.long_press("Blue Hour", 700);
    world.tap("Add to queue");
    assert_eq!(media().get_toast(), "Added to the queue: Blue Hour");
    world.tap("Open the player");
    assert_eq!(world.screen(), Screen::Player);
    assert_eq!(player(&world).get_up_next(), "Up next: Evening");
    shot(&world, "music-up-next-1280x800");
    for title in ["Evening", "Noon", "Evening", "Morning", "Noon"] {
        world.tap("Next");
        world.wait_until(title, WAIT, |w| player(w).get_title() == title);
    }
    world.wait_until("up next at the end", WAIT, |w| {
        player(w).get_up_next() == "Up next: Evening"
    });
}

#[test]
fn a_folder_opened_from_outside_plays_in_the_librarys_album_order_and_names() {
    // An album whose file names say nothing of its order: the library's track numbers do.
    let dir = TempDir::new("player-folder-order");
    let root = dir.path().join("media");
    let album = root.join("Renamed");
    std::fs::create_dir_all(&album).expect("a folder");
    let blue = media().join("Music/Ada Lind - Blue Hour");
    for (from, to) in [
        ("03 Evening.opus", "a.opus"),
        ("01 Morning.flac", "b.flac"),
        ("02 Noon.mp3", "c.mp3"),
    ] {
        std::fs::copy(blue.join(from), album.join(to)).expect("a song");
    }
    let world = library_world(&root, &dir, 1280, 800);
    assert!(
        world
            .app
            .playback()
            .expect("playback")
            .open_path(&album, None)
    );
    world.wait_until("Morning first", WAIT, |w| {
        player(w).get_playing() && player(w).get_title() == "Morning"
    });
    assert_eq!(player(&world).get_subtitle(), "Ada Lind · Blue Hour");
    world.tap("Next");
    world.wait_until("then Noon", WAIT, |w| player(w).get_title() == "Noon");
    world.tap("Next");
    world.wait_until("then Evening", WAIT, |w| player(w).get_title() == "Evening");
}
