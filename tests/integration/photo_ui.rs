//! The photo viewer over a real library: a tapped photo fills the screen, decoded by the
//! helper at the screen's size and upright as its EXIF says; swipes and the arrows go
//! through the list, a double tap zooms where it lands, two fingers pinch-zoom through
//! Hearth's touch router, and the slideshow moves on by itself.

use std::path::Path;
use std::time::Duration;

use hearth::gestures::Phase;
use hearth_tests::World;
use hearth_tests::playback::{library_world, media_under};
use hearth_tests::services::TempDir;
use hearth_ui::{PhotoAdapter, Screen};
use slint::{ComponentHandle, LogicalPosition};

const WAIT: Duration = Duration::from_secs(20);

fn world(dir: &TempDir, width: u32, height: u32) -> World {
    library_world(
        media_under(Path::new(env!("CARGO_TARGET_TMPDIR"))),
        dir,
        width,
        height,
    )
}

fn photo(world: &World) -> PhotoAdapter<'_> {
    world.app.window().global::<PhotoAdapter>()
}

fn picture_size(world: &World) -> (u32, u32) {
    let size = photo(world).get_picture().size();
    (size.width, size.height)
}

fn shot(world: &World, name: &str) {
    let scratch = Path::new(env!("CARGO_TARGET_TMPDIR"));
    hearth_tests::media::save_screen(world, &hearth_tests::media::player_screens(scratch), name);
}

/// Steps with the arrow until the photo titled `title` is shown, decoded.
fn go_to(world: &World, title: &str) {
    for _ in 0..80 {
        if photo(world).get_title() == title {
            return;
        }
        world.tap("Next photo");
    }
    panic!("no photo titled {title}");
}

fn drag(world: &World, from: (f32, f32), to: (f32, f32)) {
    let window = world.app.window().window();
    world.pointer(LogicalPosition::new(from.0, from.1), true);
    for step in 1..=6 {
        let t = step as f32 / 6.0;
        let position =
            LogicalPosition::new(from.0 + (to.0 - from.0) * t, from.1 + (to.1 - from.1) * t);
        window.dispatch_event(slint::platform::WindowEvent::PointerMoved { position });
        world.advance(16);
    }
    world.pointer(LogicalPosition::new(to.0, to.1), false);
    world.advance(20);
}

#[test]
fn photos_fill_the_screen_upright_and_swipe_zoom_pinch_and_slide_by() {
    let dir = TempDir::new("photo-viewer");
    let world = world(&dir, 1280, 800);
    world.app.open_media_shelf("photos");
    world.draw();
    // By date each photo sits under its own month and Coast is below the fold; by name the
    // four share the first row.
    for label in ["Sort: Date", "Name"] {
        world.tap(label);
        world.advance(50);
        world.draw();
    }
    world.tap("Coast");
    assert_eq!(world.screen(), Screen::Photo);
    assert_eq!(photo(&world).get_title(), "Coast");
    world.wait_until("Coast decoded at the screen's size", WAIT, |w| {
        picture_size(w) == (1280, 960)
    });
    let counter = photo(&world).get_counter().to_string();
    assert!(counter.ends_with(" / 4"), "{counter}");

    // A swipe to the left shows the next photo.
    drag(&world, (900.0, 400.0), (500.0, 400.0));
    assert_ne!(photo(&world).get_title(), "Coast");
    drag(&world, (500.0, 400.0), (900.0, 400.0));
    assert_eq!(photo(&world).get_title(), "Coast");

    // Stored on its side with EXIF orientation 6, the lighthouse stands upright.
    go_to(&world, "Portrait of a lighthouse");
    world.wait_until("the lighthouse decoded", WAIT, |w| {
        picture_size(w) == (960, 1280)
    });
    shot(&world, "photo-1280x800");

    // A double tap left of the centre zooms in there; another zooms out.
    for _ in 0..2 {
        world.pointer(LogicalPosition::new(300.0, 300.0), true);
        world.advance(30);
        world.pointer(LogicalPosition::new(300.0, 300.0), false);
        world.advance(60);
    }
    assert_eq!(photo(&world).get_zoom(), 2.5);
    assert!(
        photo(&world).get_pan_x() > 0.0,
        "the left side comes into view"
    );
    for _ in 0..2 {
        world.pointer(LogicalPosition::new(300.0, 300.0), true);
        world.advance(30);
        world.pointer(LogicalPosition::new(300.0, 300.0), false);
        world.advance(60);
    }
    assert_eq!(photo(&world).get_zoom(), 1.0);

    // Two fingers spreading from 200 to 400 pixels apart double the zoom.
    assert!(!world.touch(0, Phase::Down, 540.0, 400.0));
    assert!(
        world.touch(1, Phase::Down, 740.0, 400.0),
        "the pinch is Hearth's"
    );
    for step in 1..=5 {
        let spread = 20.0 * step as f32;
        world.touch(0, Phase::Move, 540.0 - spread, 400.0);
        world.touch(1, Phase::Move, 740.0 + spread, 400.0);
        world.advance(16);
    }
    assert!(photo(&world).get_pinching());
    world.touch(1, Phase::Up, 840.0, 400.0);
    world.touch(0, Phase::Up, 440.0, 400.0);
    assert!(!photo(&world).get_pinching());
    let zoom = photo(&world).get_zoom();
    assert!((1.95..2.05).contains(&zoom), "zoom {zoom}");
    shot(&world, "photo-zoomed-1280x800");

    // The slideshow moves on every 5 s.
    let before = photo(&world).get_title();
    world.tap("Slideshow");
    assert!(photo(&world).get_slideshow());
    world.advance(5100);
    assert_ne!(photo(&world).get_title(), before);
    world.tap("Slideshow");
    assert!(!photo(&world).get_slideshow());

    world.tap("Close the photo");
    assert_eq!(world.screen(), Screen::Media);
}

#[test]
fn the_viewer_fits_a_small_screen() {
    let dir = TempDir::new("photo-viewer-small");
    let world = world(&dir, 800, 480);
    world.app.open_media_shelf("photos");
    world.draw();
    world.tap("Meadow");
    world.wait_until("Meadow decoded at the screen's size", WAIT, |w| {
        picture_size(w) == (800, 600)
    });
    shot(&world, "photo-800x480");
}
