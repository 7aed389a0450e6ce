//! The last screen of each VM, kept on disk as a small PNG so that the next start shows it on
//! its very first frame, before the hypervisor answers.
//!
//! Files live in `$XDG_CACHE_HOME/hearth/last-screens/` (or `~/.cache/…`), one per VM named
//! after the VM's configured name. They are written whole and renamed into place, so a crash
//! never leaves half a picture, and read with bounds: a file that declares dimensions past
//! [`MAX_SIDE`] is refused from its header, before anything is allocated.

use std::io::BufReader;
use std::path::{Path, PathBuf};

use slint::{Rgb8Pixel, Rgba8Pixel, SharedPixelBuffer};

/// The largest width or height accepted from disk; live thumbnails are 640 pixels wide.
pub const MAX_SIDE: u32 = 2048;

#[derive(Debug, Clone)]
pub struct LastScreens {
    dir: PathBuf,
}

impl LastScreens {
    pub fn new(dir: PathBuf) -> LastScreens {
        LastScreens { dir }
    }

    /// The user's cache folder for them, if a home or XDG_CACHE_HOME is known.
    pub fn in_user_cache() -> Option<LastScreens> {
        let cache = std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .filter(|path| path.is_absolute())
            .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))?;
        Some(LastScreens::new(cache.join("hearth").join("last-screens")))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, vm_name: &str) -> PathBuf {
        self.dir.join(format!("{}.png", file_stem(vm_name)))
    }

    /// The VM's last screen, or None when there is none or it cannot be read (logged).
    pub fn load(&self, vm_name: &str) -> Option<SharedPixelBuffer<Rgb8Pixel>> {
        let path = self.path(vm_name);
        let file = match std::fs::File::open(&path) {
            Ok(file) => file,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return None,
            Err(error) => {
                tracing::warn!(path = %path.display(), %error, "cannot open the VM's last screen");
                return None;
            }
        };
        match decode(BufReader::new(file)) {
            Ok(pixels) => Some(pixels),
            Err(reason) => {
                tracing::warn!(path = %path.display(), %reason, "ignoring the VM's last screen");
                None
            }
        }
    }

    /// Keeps `pixels` as the VM's last screen, replacing the previous one atomically.
    pub fn save(
        &self,
        vm_name: &str,
        pixels: &SharedPixelBuffer<Rgba8Pixel>,
    ) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let path = self.path(vm_name);
        // Unique per writer: a save on a worker and the last one at exit may overlap.
        static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let write = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let partial = path.with_extension(format!("png.{}-{write}.partial", std::process::id()));
        let result = write_png(&partial, pixels).and_then(|()| std::fs::rename(&partial, &path));
        if result.is_err() {
            let _ = std::fs::remove_file(&partial);
        }
        result
    }
}

/// A file name for any VM name: letters, digits, `-` and `_` as they are, every other byte as
/// `%XX`, so distinct names never share a file and no name can leave the folder.
fn file_stem(vm_name: &str) -> String {
    let mut stem = String::with_capacity(vm_name.len());
    for byte in vm_name.bytes() {
        if byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_' {
            stem.push(byte as char);
        } else {
            stem.push_str(&format!("%{byte:02X}"));
        }
    }
    stem
}

fn decode(
    reader: impl std::io::BufRead + std::io::Seek,
) -> Result<SharedPixelBuffer<Rgb8Pixel>, String> {
    let limits = png::Limits {
        bytes: (MAX_SIDE * MAX_SIDE * 4) as usize,
    };
    let mut decoder = png::Decoder::new_with_limits(reader, limits);
    let (width, height) = {
        let info = decoder.read_header_info().map_err(|e| e.to_string())?;
        (info.width, info.height)
    };
    if width == 0 || height == 0 || width > MAX_SIDE || height > MAX_SIDE {
        return Err(format!("it declares {width}x{height} pixels"));
    }
    let mut reader = decoder.read_info().map_err(|e| e.to_string())?;
    let (color, depth) = reader.output_color_type();
    if color != png::ColorType::Rgb || depth != png::BitDepth::Eight {
        return Err(format!("it is {color:?} {depth:?}, not 8-bit RGB"));
    }
    let mut pixels = SharedPixelBuffer::<Rgb8Pixel>::new(width, height);
    reader
        .next_frame(pixels.make_mut_bytes())
        .map_err(|e| e.to_string())?;
    Ok(pixels)
}

fn write_png(path: &Path, pixels: &SharedPixelBuffer<Rgba8Pixel>) -> std::io::Result<()> {
    let file = std::fs::File::create(path)?;
    let mut encoder = png::Encoder::new(
        std::io::BufWriter::new(file),
        pixels.width(),
        pixels.height(),
    );
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    let mut writer = encoder.write_header().map_err(std::io::Error::other)?;
    let rgb: Vec<u8> = pixels
        .as_slice()
        .iter()
        .flat_map(|pixel| [pixel.r, pixel.g, pixel.b])
        .collect();
    writer
        .write_image_data(&rgb)
        .map_err(std::io::Error::other)?;
    writer.finish().map_err(std::io::Error::other)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Dir(PathBuf);

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn temp(label: &str) -> Dir {
        let dir = std::env::temp_dir().join(format!("hearth-{label}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        Dir(dir)
    }

    fn gradient(width: u32, height: u32) -> SharedPixelBuffer<Rgba8Pixel> {
        let mut pixels = SharedPixelBuffer::<Rgba8Pixel>::new(width, height);
        for (i, pixel) in pixels.make_mut_slice().iter_mut().enumerate() {
            *pixel = Rgba8Pixel::new((i % 251) as u8, (i % 7) as u8 * 30, 200, 255);
        }
        pixels
    }

    #[test]
    fn a_saved_screen_loads_back_pixel_for_pixel() {
        let dir = temp("last-screens-round-trip");
        let screens = LastScreens::new(dir.0.clone());
        let pixels = gradient(64, 40);
        screens.save("Work", &pixels).expect("saving");
        let loaded = screens.load("Work").expect("loading");
        assert_eq!((loaded.width(), loaded.height()), (64, 40));
        for (saved, read) in pixels.as_slice().iter().zip(loaded.as_slice()) {
            assert_eq!((saved.r, saved.g, saved.b), (read.r, read.g, read.b));
        }
        assert!(screens.load("Personal").is_none(), "never saved");
        let leftovers: Vec<_> = std::fs::read_dir(&dir.0)
            .expect("listing")
            .filter_map(Result::ok)
            .filter(|entry| entry.file_name().to_string_lossy().contains("partial"))
            .collect();
        assert!(leftovers.is_empty(), "partial files left: {leftovers:?}");
    }

    #[test]
    fn names_map_to_distinct_files_inside_the_folder() {
        for (name, stem) in [
            ("Work", "Work"),
            ("work vm", "work%20vm"),
            ("../etc/passwd", "%2E%2E%2Fetc%2Fpasswd"),
            ("Büro", "B%C3%BCro"),
            ("", ""),
        ] {
            assert_eq!(file_stem(name), stem, "name {name:?}");
        }
    }

    #[test]
    fn broken_and_hostile_files_are_refused_without_harm() {
        let dir = temp("last-screens-hostile");
        let screens = LastScreens::new(dir.0.clone());
        std::fs::create_dir_all(&dir.0).expect("folder");
        std::fs::write(screens.path("Garbage"), b"this is not a PNG").expect("write");
        assert!(screens.load("Garbage").is_none());

        // A valid PNG header declaring 100000 x 100000 pixels, with no data behind it: refused
        // from the header alone.
        let mut huge = Vec::new();
        {
            let mut encoder = png::Encoder::new(&mut huge, 100_000, 100_000);
            encoder.set_color(png::ColorType::Rgb);
            encoder.set_depth(png::BitDepth::Eight);
            let _writer = encoder.write_header().expect("header");
        }
        std::fs::write(screens.path("Huge"), &huge).expect("write");
        let error = decode(std::io::Cursor::new(huge)).expect_err("refused");
        assert!(error.contains("100000x100000"), "{error}");
        assert!(screens.load("Huge").is_none());

        // A truncated picture.
        screens.save("Cut", &gradient(64, 40)).expect("saving");
        let whole = std::fs::read(screens.path("Cut")).expect("read");
        std::fs::write(screens.path("Cut"), &whole[..whole.len() / 2]).expect("write");
        assert!(screens.load("Cut").is_none());
    }
}
