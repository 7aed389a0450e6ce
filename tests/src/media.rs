//! Small real media files the media tests make for themselves, and libraries read from
//! them.

use std::path::{Path, PathBuf};

use hearth_media::helper::{HelperLimits, helper_binary};
use hearth_media::reading::Reader;
use hearth_media::thumbnail::ThumbnailSize;
use hearth_media::{Index, LibrarySettings, RootScan, scan_root};

/// Scans `root` into an index in `dir` and reads every file with the helper (metadata and
/// thumbnails in `dir/thumbnails`), as the library service would; the settings to open it.
pub fn read_library(root: &Path, dir: &Path) -> LibrarySettings {
    read_library_with(root, dir, helper_binary())
}

/// [`read_library`] with the helper `helper`.
pub fn read_library_with(root: &Path, dir: &Path, helper: PathBuf) -> LibrarySettings {
    let mut settings = LibrarySettings::new(vec![root.to_path_buf()], dir.join("index.sqlite"));
    settings.thumbnails = dir.join("thumbnails");
    let mut index = Index::open(&settings.index_file).expect("an index");
    assert!(matches!(
        scan_root(&mut index, root, 1_000).expect("scanning"),
        RootScan::Synced(_)
    ));
    settings.helper = helper.clone();
    let mut reader = Reader::new(
        helper,
        HelperLimits::default(),
        2,
        settings.thumbnails.clone(),
        ThumbnailSize::Large,
    );
    reader.read_pending(&index, |_| {}).expect("reading");
    settings
}

/// Saves what `world` shows now as `dir/name.png`.
pub fn save_screen(world: &crate::World, dir: &Path, name: &str) {
    std::fs::create_dir_all(dir).expect("a folder for screens");
    world.advance(20);
    let image = world.headless.snapshot().expect("a frame");
    hearth::headless::write_png(&dir.join(format!("{name}.png")), &image).expect("a PNG");
}

/// The folder the playback tests save their screens in, under `scratch`.
pub fn player_screens(scratch: &Path) -> PathBuf {
    scratch.join("player-screens")
}

/// A PNG of one flat shade, encoded by the png crate.
pub fn png_bytes(width: u32, height: u32, shade: u8) -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, width, height);
    encoder.set_color(png::ColorType::Rgb);
    let mut writer = encoder.write_header().expect("a PNG header");
    writer
        .write_image_data(&vec![shade; (width * height * 3) as usize])
        .expect("PNG pixels");
    writer.finish().expect("a PNG");
    bytes
}

/// Waits until the media browser holds more than `more_than` items.
pub fn wait_for_items(world: &crate::World, what: &str, more_than: usize) {
    world.wait_until(what, std::time::Duration::from_secs(20), |w| {
        let media = slint::ComponentHandle::global::<hearth_ui::MediaAdapter>(w.app.window());
        slint::Model::row_count(&media.get_items()) > more_than
    });
}
