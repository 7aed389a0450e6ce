//! Thumbnail pictures for the UI: decoded from the shared cache's PNG files, on the UI thread
//! only for what the first frame shows and on a loader thread for everything else, so
//! scrolling never waits for a decode. The cache is bounded: thumbnails no card shows are
//! dropped first.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Sender, channel};

use slint::{Image, Rgb8Pixel, SharedPixelBuffer};

/// The largest thumbnail accepted: the standard's biggest size is 1024 pixels.
const MAX_SIDE: u32 = 1024;
/// PNG files larger than this are not thumbnails and are not decoded.
const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;
/// How many decoded thumbnails are kept (about 110 KB each at 256x144).
pub const CACHE_LIMIT: usize = 160;

/// A decoded thumbnail, ready to become an [`Image`] on the UI thread.
pub type Pixels = SharedPixelBuffer<Rgb8Pixel>;

/// Decodes a thumbnail PNG into RGB, refusing anything that is not thumbnail-sized.
pub fn decode(file: &Path) -> Option<Pixels> {
    if std::fs::metadata(file).ok()?.len() > MAX_FILE_BYTES {
        return None;
    }
    let mut decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(file).ok()?));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().ok()?;
    let (width, height) = (reader.info().width, reader.info().height);
    if width == 0 || height == 0 || width > MAX_SIDE || height > MAX_SIDE {
        return None;
    }
    let mut bytes = vec![0; reader.output_buffer_size()?];
    let frame = reader.next_frame(&mut bytes).ok()?;
    let channels = match frame.color_type {
        png::ColorType::Grayscale => 1,
        png::ColorType::GrayscaleAlpha => 2,
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        png::ColorType::Indexed => return None,
    };
    let mut pixels = SharedPixelBuffer::<Rgb8Pixel>::new(width, height);
    let row_bytes = frame.line_size;
    for (y, out_row) in pixels
        .make_mut_slice()
        .chunks_exact_mut(width as usize)
        .enumerate()
    {
        let row = bytes.get(y * row_bytes..(y + 1) * row_bytes)?;
        for (out, pixel) in out_row.iter_mut().zip(row.chunks_exact(channels)) {
            *out = match channels {
                1 | 2 => Rgb8Pixel::new(pixel[0], pixel[0], pixel[0]),
                _ => Rgb8Pixel::new(pixel[0], pixel[1], pixel[2]),
            };
        }
    }
    Some(pixels)
}

/// Decoded thumbnails by file, and the loader thread that decodes more.
pub struct ThumbnailCache {
    /// Pictures with the modification time of the file they came from.
    images: HashMap<PathBuf, (Image, Option<std::time::SystemTime>)>,
    /// Files asked of the loader and not back yet, and files that would not decode.
    requested: HashSet<PathBuf>,
    loader: Option<Sender<Vec<PathBuf>>>,
}

impl ThumbnailCache {
    /// A cache whose loader sends decoded pictures to `deliver`, on the loader's thread.
    pub fn new(
        deliver: impl Fn(Vec<(PathBuf, Option<Pixels>)>) + Send + 'static,
    ) -> ThumbnailCache {
        let (sender, requests) = channel::<Vec<PathBuf>>();
        let loader = std::thread::Builder::new()
            .name("thumbnail-loader".into())
            .spawn(move || {
                while let Ok(mut files) = requests.recv() {
                    // Take everything queued at once: scrolling sends many small requests.
                    while let Ok(more) = requests.try_recv() {
                        files.extend(more);
                    }
                    let decoded = files
                        .into_iter()
                        .map(|file| {
                            let pixels = decode(&file);
                            (file, pixels)
                        })
                        .collect();
                    deliver(decoded);
                }
            })
            .ok()
            .map(|_| sender);
        ThumbnailCache {
            images: HashMap::new(),
            requested: HashSet::new(),
            loader,
        }
    }

    /// The picture for `file`, if decoded.
    pub fn get(&self, file: &Path) -> Option<Image> {
        self.images.get(file).map(|(image, _)| image.clone())
    }

    /// After the library changed: drops pictures whose file was rewritten (the source
    /// changed) and retries files that would not decode before (they may exist now).
    pub fn revalidate(&mut self) {
        self.images
            .retain(|file, (_, modified)| modified_time(file) == *modified);
        self.requested.clear();
    }

    /// Decodes these files now, on this thread: for what the first frame shows.
    pub fn load_now(&mut self, files: &[PathBuf]) {
        for file in files {
            if self.images.contains_key(file) || self.requested.contains(file) {
                continue;
            }
            match decode(file) {
                Some(pixels) => {
                    self.images.insert(
                        file.clone(),
                        (Image::from_rgb8(pixels), modified_time(file)),
                    );
                }
                None => {
                    self.requested.insert(file.clone());
                }
            }
        }
    }

    /// Asks the loader for the files not decoded or asked for yet.
    pub fn request(&mut self, files: impl IntoIterator<Item = PathBuf>) {
        let wanted: Vec<PathBuf> = files
            .into_iter()
            .filter(|file| !self.images.contains_key(file) && self.requested.insert(file.clone()))
            .collect();
        if wanted.is_empty() {
            return;
        }
        if let Some(loader) = &self.loader
            && loader.send(wanted).is_err()
        {
            self.loader = None;
        }
    }

    /// Takes the loader's pictures in. Files that would not decode stay marked as asked, so
    /// they are not decoded again.
    pub fn arrived(&mut self, decoded: Vec<(PathBuf, Option<Pixels>)>) {
        for (file, pixels) in decoded {
            if let Some(pixels) = pixels {
                self.requested.remove(&file);
                let modified = modified_time(&file);
                self.images
                    .insert(file, (Image::from_rgb8(pixels), modified));
            }
        }
    }

    /// Drops decoded pictures beyond the limit, keeping the ones in `shown`.
    pub fn trim(&mut self, shown: &HashSet<PathBuf>) {
        if self.images.len() <= CACHE_LIMIT {
            return;
        }
        self.images.retain(|file, _| shown.contains(file));
    }
}

fn modified_time(file: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(file)
        .and_then(|metadata| metadata.modified())
        .ok()
}
