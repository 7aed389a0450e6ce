//! Key press to the focus ring drawn in its new place, on home (tiles, media rows, shelves)
//! and down a browser grid of 1,000 photos, beside a plain redraw of the same screen in the
//! same run. The software renderer draws the whole window each time, so the ring's cost is
//! what it adds to a full redraw.

use std::path::Path;
use std::time::{Duration, Instant};

use hearth_tests::World;
use hearth_tests::playback::{library_world, media_under};
use hearth_tests::services::TempDir;
use slint::ComponentHandle;
use slint::platform::software_renderer::Rgb565Pixel;

use super::{millis, percentile};

const MOVES: usize = 200;
const KEY_UP: u32 = 103;
const KEY_DOWN: u32 = 108;

struct Row {
    what: String,
    moves: Vec<Duration>,
    redraws: Vec<Duration>,
}

/// Presses `code` and times it until the frame with the ring in its new place is drawn; None
/// when the ring could not go that way.
fn timed_move(world: &World, buffer: &mut Vec<Rgb565Pixel>, code: u32) -> Option<Duration> {
    let before = world.app.focus_ring();
    let start = Instant::now();
    world.app.physical_key(code, true);
    world.app.physical_key(code, false);
    world.headless.pump();
    let drew = world.headless.render_if_needed(buffer);
    let elapsed = start.elapsed();
    if world.app.focus_ring() == before {
        return None;
    }
    assert!(drew, "a focus move must draw");
    Some(elapsed)
}

fn timed_redraw(world: &World, buffer: &mut Vec<Rgb565Pixel>) -> Duration {
    let start = Instant::now();
    world.app.window().window().request_redraw();
    world.headless.pump();
    world.headless.render_if_needed(buffer);
    start.elapsed()
}

/// `MOVES` moves down and, from the bottom, up again, each beside a redraw.
fn measure(world: &World, what: &str) -> Row {
    let mut buffer = Vec::new();
    // The first key shows the ring.
    world.app.physical_key(KEY_DOWN, true);
    world.app.physical_key(KEY_DOWN, false);
    world.advance(50);
    world.headless.render_if_needed(&mut buffer);
    let mut row = Row {
        what: what.to_string(),
        moves: Vec::with_capacity(MOVES),
        redraws: Vec::with_capacity(MOVES),
    };
    let mut code = KEY_DOWN;
    let mut turns = 0;
    while row.moves.len() < MOVES {
        let redraw = timed_redraw(world, &mut buffer);
        match timed_move(world, &mut buffer, code) {
            Some(elapsed) => {
                row.moves.push(elapsed);
                row.redraws.push(redraw);
            }
            None => {
                turns += 1;
                assert!(turns < 2 * MOVES, "the ring moves neither up nor down");
                code = if code == KEY_DOWN { KEY_UP } else { KEY_DOWN };
            }
        }
        // Thumbnails and scrolling settle between key presses, as between a person's.
        world.advance(20);
        world.headless.render_if_needed(&mut buffer);
    }
    row
}

/// Home: down through the tiles, media rows and shelves, and back up.
fn home() -> Row {
    let scratch = TempDir::new("bench-focus-media");
    let media = media_under(scratch.path());
    let dir = TempDir::new("bench-focus-home");
    let world = library_world(media, &dir, 1280, 800);
    measure(&world, "home (tiles, media rows, shelves)")
}

/// A grid of 1,000 photos, down its rows, scrolling all the way.
fn grid() -> Row {
    let scratch = TempDir::new("bench-focus-photos");
    make_photos(scratch.path(), 1000);
    let dir = TempDir::new("bench-focus-grid");
    let world = library_world(scratch.path(), &dir, 1280, 800);
    world.app.open_media_shelf("photos");
    world.advance(100);
    let items = world
        .app
        .window()
        .global::<hearth_ui::MediaAdapter>()
        .get_items();
    assert!(
        slint::Model::row_count(&items) >= 1000,
        "the grid holds the 1,000 photos"
    );
    measure(&world, "browser grid of 1,000 photos")
}

/// `count` small photos, each its own colour, made once.
fn make_photos(folder: &Path, count: usize) {
    let done = folder.join(format!("done-{count}"));
    if done.exists() {
        return;
    }
    let photos = folder.join("Photos");
    std::fs::create_dir_all(&photos).expect("a folder for photos");
    for index in 0..count {
        let colour = [(index * 37 % 256) as u8, (index * 91 % 256) as u8, 160];
        let image = image::RgbImage::from_pixel(64, 48, image::Rgb(colour));
        image
            .save(photos.join(format!("photo-{index:04}.png")))
            .expect("writing a photo");
    }
    std::fs::write(done, "").expect("a marker");
}

pub fn report() {
    // The headless platform is one per thread: each screen gets a thread of its own.
    let rows = [home as fn() -> Row, grid].map(|measure| {
        std::thread::spawn(measure)
            .join()
            .expect("a focus measurement")
    });
    println!();
    println!(
        "## Focus ring: key press to the ring drawn in its new place (software renderer, 1280x800, {MOVES} moves each)"
    );
    println!();
    println!("| screen | move p50 | move p99 | redraw p50 | redraw p99 | ratio p99 | goal |");
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    for mut row in rows {
        let (m50, m99) = (
            percentile(&mut row.moves, 0.5),
            percentile(&mut row.moves, 0.99),
        );
        let (r50, r99) = (
            percentile(&mut row.redraws, 0.5),
            percentile(&mut row.redraws, 0.99),
        );
        let goal = if m99 <= Duration::from_micros(16_667) {
            "p99 ≤ 16.7 ms: met"
        } else {
            "p99 ≤ 16.7 ms: missed"
        };
        println!(
            "| {} | {} | {} | {} | {} | {:.2} | {goal} |",
            row.what,
            millis(m50),
            millis(m99),
            millis(r50),
            millis(r99),
            m99.as_secs_f64() / r99.as_secs_f64()
        );
    }
}
