//! Home and the VM view at 1280x800 and 800x480, in English and German, against reference
//! images. Run with HEARTH_BLESS=1 to write new references after a deliberate change (and
//! look at them before committing).

use std::path::PathBuf;

use hearth_tests::{World, test_sim_config};
use slint::{Rgb8Pixel, SharedPixelBuffer};

fn reference_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("screenshots")
}

fn read_png(path: &PathBuf) -> Option<(u32, u32, Vec<u8>)> {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).ok()?));
    let mut reader = decoder.read_info().ok()?;
    let mut buffer = vec![0; reader.output_buffer_size()?];
    let info = reader.next_frame(&mut buffer).ok()?;
    buffer.truncate(info.buffer_size());
    (info.color_type == png::ColorType::Rgb).then_some((info.width, info.height, buffer))
}

/// Compares with a tolerance for anti-aliasing: at most 0.5 % of pixels may differ by more
/// than 48 in a channel.
fn compare(name: &str, image: &SharedPixelBuffer<Rgb8Pixel>) {
    let path = reference_dir().join(format!("{name}.png"));
    if std::env::var_os("HEARTH_BLESS").is_some() {
        std::fs::create_dir_all(reference_dir()).expect("creating the reference folder");
        hearth::headless::write_png(&path, image).expect("writing the reference");
        return;
    }
    let (width, height, reference) = read_png(&path).unwrap_or_else(|| {
        panic!(
            "missing reference {} (run with HEARTH_BLESS=1)",
            path.display()
        )
    });
    assert_eq!(
        (width, height),
        (image.width(), image.height()),
        "{name}: size differs"
    );
    let differing = image
        .as_bytes()
        .chunks_exact(3)
        .zip(reference.chunks_exact(3))
        .filter(|(a, b)| a.iter().zip(b.iter()).any(|(x, y)| x.abs_diff(*y) > 48))
        .count();
    let allowed = (width * height) as usize / 200;
    if differing > allowed {
        let actual = std::env::temp_dir().join(format!("hearth-{name}-actual.png"));
        let _ = hearth::headless::write_png(&actual, image);
        panic!(
            "{name}: {differing} pixels differ (allowed {allowed}); see {}",
            actual.display()
        );
    }
}

fn check_screens(width: u32, height: u32, language: &str) {
    let world = World::with(width, height, language, test_sim_config());
    hearth::screens::type_text(world.sim(), &world.vm("Work"), "Hello from Hearth!");
    world.app.refresh_thumbnails();
    world.advance(400);
    let size = format!("{width}x{height}");
    compare(
        &format!("home-{language}-{size}"),
        &world.headless.snapshot().expect("snapshot"),
    );
    world.hotkey("1");
    world.settle();
    compare(
        &format!("vm-{language}-{size}"),
        &world.headless.snapshot().expect("snapshot"),
    );
}

#[test]
fn english_at_1280x800() {
    check_screens(1280, 800, "en-US");
}

#[test]
fn english_at_800x480() {
    check_screens(800, 480, "en-US");
}

#[test]
fn german_at_1280x800() {
    check_screens(1280, 800, "de");
}

#[test]
fn german_at_800x480() {
    check_screens(800, 480, "de");
}
