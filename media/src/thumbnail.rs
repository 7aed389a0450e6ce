//! Thumbnails as the freedesktop Thumbnail Managing Standard lays them out, so Hearth and
//! the desktop's other programs share one cache: `$XDG_CACHE_HOME/thumbnails/<size>/` holds
//! `<md5 of the file URI>.png` with `Thumb::URI` and `Thumb::MTime`, and failures go to
//! `fail/hearth-<version>/` so no program retries a file that cannot be read.

use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use md5::{Digest, Md5};

/// The standard's sizes, by the folder each lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ThumbnailSize {
    Normal,
    Large,
    XLarge,
    XxLarge,
}

impl ThumbnailSize {
    /// Every size, smallest first.
    pub const ALL: [ThumbnailSize; 4] = [
        ThumbnailSize::Normal,
        ThumbnailSize::Large,
        ThumbnailSize::XLarge,
        ThumbnailSize::XxLarge,
    ];

    /// The smallest size with at least `pixels` on its longest side; the largest size when
    /// none has.
    pub fn covering(pixels: u32) -> ThumbnailSize {
        Self::ALL
            .into_iter()
            .find(|size| size.pixels() >= pixels)
            .unwrap_or(ThumbnailSize::XxLarge)
    }

    /// The sizes smaller than this one, largest first.
    pub fn smaller(self) -> impl Iterator<Item = ThumbnailSize> {
        Self::ALL
            .into_iter()
            .rev()
            .filter(move |size| size.pixels() < self.pixels())
    }

    /// The longest side in pixels.
    pub fn pixels(self) -> u32 {
        match self {
            ThumbnailSize::Normal => 128,
            ThumbnailSize::Large => 256,
            ThumbnailSize::XLarge => 512,
            ThumbnailSize::XxLarge => 1024,
        }
    }

    fn folder(self) -> &'static str {
        match self {
            ThumbnailSize::Normal => "normal",
            ThumbnailSize::Large => "large",
            ThumbnailSize::XLarge => "x-large",
            ThumbnailSize::XxLarge => "xx-large",
        }
    }
}

/// The cache's root: `$XDG_CACHE_HOME/thumbnails`, else `~/.cache/thumbnails`.
pub fn cache_root() -> PathBuf {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|path| path.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
        .unwrap_or_else(|| PathBuf::from("/tmp"));
    cache.join("thumbnails")
}

/// The file's `file://` URI, escaped exactly as GLib's `g_filename_to_uri` escapes it, so
/// the MD5 matches what other desktop programs compute.
pub fn file_uri(path: &Path) -> String {
    const KEPT: &[u8] = b"!$&'()*+,-./:=@_~";
    let mut uri = String::from("file://");
    for &byte in path.as_os_str().as_bytes() {
        if byte.is_ascii_alphanumeric() || KEPT.contains(&byte) {
            uri.push(byte as char);
        } else {
            uri.push_str(&format!("%{byte:02X}"));
        }
    }
    uri
}

fn md5_name(uri: &str) -> String {
    let digest = Md5::digest(uri.as_bytes());
    let mut name = String::with_capacity(36);
    for byte in digest {
        name.push_str(&format!("{byte:02x}"));
    }
    name.push_str(".png");
    name
}

/// Where the thumbnail of `uri` at `size` lives under `root`.
pub fn thumbnail_path(root: &Path, size: ThumbnailSize, uri: &str) -> PathBuf {
    root.join(size.folder()).join(md5_name(uri))
}

/// Where Hearth records that it could not make a thumbnail for `uri`.
pub fn failure_path(root: &Path, uri: &str) -> PathBuf {
    root.join("fail")
        .join(concat!("hearth-", env!("CARGO_PKG_VERSION")))
        .join(md5_name(uri))
}

/// The text fields the standard asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThumbnailFields {
    pub uri: String,
    /// The source's modification time, whole seconds.
    pub mtime: i64,
    pub size: Option<u64>,
    pub mime: Option<String>,
}

/// Reads the fields of a thumbnail (or failure) PNG without decoding its pixels.
pub fn read_fields(file: &Path) -> Option<ThumbnailFields> {
    let reader = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(file).ok()?))
        .read_info()
        .ok()?;
    let info = reader.info();
    let text = |key: &str| {
        info.uncompressed_latin1_text
            .iter()
            .find(|chunk| chunk.keyword == key)
            .map(|chunk| chunk.text.clone())
            .or_else(|| {
                info.utf8_text
                    .iter()
                    .find(|chunk| chunk.keyword == key)
                    .and_then(|chunk| chunk.get_text().ok())
            })
    };
    Some(ThumbnailFields {
        uri: text("Thumb::URI")?,
        mtime: text("Thumb::MTime")?.trim().parse().ok()?,
        size: text("Thumb::Size").and_then(|size| size.trim().parse().ok()),
        mime: text("Thumb::Mime"),
    })
}

/// A thumbnail already in the cache for this file as it is now (made by Hearth or any other
/// program), so nothing is decoded again.
pub fn valid_thumbnail(
    root: &Path,
    size: ThumbnailSize,
    path: &Path,
    mtime: i64,
) -> Option<PathBuf> {
    let uri = file_uri(path);
    let file = thumbnail_path(root, size, &uri);
    let fields = read_fields(&file)?;
    (fields.uri == uri && fields.mtime == mtime).then_some(file)
}

/// Whether Hearth already failed on this file as it is now.
pub fn known_failure(root: &Path, path: &Path, mtime: i64) -> bool {
    let uri = file_uri(path);
    read_fields(&failure_path(root, &uri))
        .is_some_and(|fields| fields.uri == uri && fields.mtime == mtime)
}

/// Writes a thumbnail PNG atomically (a private temporary file renamed into place), with
/// the standard's fields; folders are made private (0700) and files 0600 as it asks.
pub fn write_png(
    file: &Path,
    width: u32,
    height: u32,
    rgb: &[u8],
    fields: &ThumbnailFields,
) -> std::io::Result<()> {
    let folder = file
        .parent()
        .ok_or_else(|| std::io::Error::other("a thumbnail path has no folder"))?;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(folder)?;
    let temporary = folder.join(format!(
        ".{}.hearth-{}.tmp",
        file.file_name()
            .map(|name| name.to_string_lossy())
            .unwrap_or_default(),
        std::process::id()
    ));
    let result = (|| {
        let mut encoded = Vec::new();
        let mut encoder = png::Encoder::new(&mut encoded, width, height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::Fast);
        let text_error = |error: png::EncodingError| std::io::Error::other(error.to_string());
        encoder
            .add_text_chunk("Thumb::URI".into(), fields.uri.clone())
            .map_err(text_error)?;
        encoder
            .add_text_chunk("Thumb::MTime".into(), fields.mtime.to_string())
            .map_err(text_error)?;
        if let Some(size) = fields.size {
            encoder
                .add_text_chunk("Thumb::Size".into(), size.to_string())
                .map_err(text_error)?;
        }
        if let Some(mime) = &fields.mime {
            encoder
                .add_text_chunk("Thumb::Mime".into(), mime.clone())
                .map_err(text_error)?;
        }
        encoder
            .add_text_chunk("Software".into(), "Hearth".into())
            .map_err(text_error)?;
        let mut writer = encoder.write_header().map_err(text_error)?;
        writer.write_image_data(rgb).map_err(text_error)?;
        writer.finish().map_err(text_error)?;
        let mut out = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&temporary)?;
        out.write_all(&encoded)?;
        Ok(())
    })();
    match result {
        Ok(()) => std::fs::rename(&temporary, file),
        Err(error) => {
            let _ = std::fs::remove_file(&temporary);
            Err(error)
        }
    }
}

/// Records a failure as the standard asks: a one-pixel PNG with the fields, under `fail/`.
pub fn write_failure(root: &Path, path: &Path, mtime: i64) -> std::io::Result<()> {
    let uri = file_uri(path);
    let fields = ThumbnailFields {
        uri: uri.clone(),
        mtime,
        size: None,
        mime: None,
    };
    write_png(&failure_path(root, &uri), 1, 1, &[0, 0, 0], &fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_escaped_as_glib_escapes_them() {
        // What `gio info` prints for this name on this machine.
        let path = Path::new(std::ffi::OsStr::from_bytes(
            "/tmp/urit/a;b c!$&'()*+,-.:=@_~[]#?%é".as_bytes(),
        ));
        assert_eq!(
            file_uri(path),
            "file:///tmp/urit/a%3Bb%20c!$&'()*+,-.:=@_~%5B%5D%23%3F%25%C3%A9"
        );
        assert_eq!(
            file_uri(Path::new(std::ffi::OsStr::from_bytes(b"/m/caf\xe9.mp3"))),
            "file:///m/caf%E9.mp3"
        );
    }

    #[test]
    fn a_size_covers_the_pixels_asked_for_and_knows_the_smaller_ones() {
        assert_eq!(ThumbnailSize::covering(1), ThumbnailSize::Normal);
        assert_eq!(ThumbnailSize::covering(256), ThumbnailSize::Large);
        assert_eq!(ThumbnailSize::covering(257), ThumbnailSize::XLarge);
        assert_eq!(ThumbnailSize::covering(5000), ThumbnailSize::XxLarge);
        assert_eq!(
            ThumbnailSize::XLarge.smaller().collect::<Vec<_>>(),
            [ThumbnailSize::Large, ThumbnailSize::Normal]
        );
        assert_eq!(ThumbnailSize::Normal.smaller().count(), 0);
    }

    #[test]
    fn names_are_the_md5_of_the_uri() {
        // The standard's own example.
        assert_eq!(
            thumbnail_path(
                Path::new("/c"),
                ThumbnailSize::Normal,
                "file:///home/jens/photos/me.png"
            ),
            Path::new("/c/normal/c6ee772d9e49320e97ec29a7eb5b1697.png")
        );
    }
}
