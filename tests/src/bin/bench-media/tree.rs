//! The benchmark's deterministic trees, made once and kept in a cache folder:
//!
//! - `tree/`: 10,000 files: 9,440 documents (a few hundred without an extension), 360 real
//!   media (copies of the sample videos and songs) and 200 photos of 12 megapixels;
//! - `library-10k/media/`: 10,000 small photos, read once into `library-10k/data` and
//!   `library-10k/cache`, for the start-up benchmark over a big library.

use std::path::{Path, PathBuf};
use std::process::Command;

use hearth_media::helper::helper_binary;
use hearth_media::samples::{SAMPLE_FILES, landscape};

/// Bump when the trees change, so old caches are made again.
const VERSION: &str = "1";
pub const DOCUMENTS: usize = 9_440;
pub const MEDIA_COPIES: usize = 60;
pub const PHOTOS: usize = 200;
pub const LIBRARY_ITEMS: usize = 10_000;

pub struct Trees {
    pub root: PathBuf,
}

impl Trees {
    pub fn tree(&self) -> PathBuf {
        self.root.join("tree")
    }

    pub fn photos(&self) -> PathBuf {
        self.tree().join("photos")
    }

    pub fn media(&self) -> PathBuf {
        self.tree().join("media")
    }

    pub fn library(&self) -> PathBuf {
        self.root.join("library-10k")
    }
}

fn cache_root() -> PathBuf {
    std::env::var_os("HEARTH_BENCH_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/cache/hearth/bench-media"))
}

/// The trees, made if the cache does not hold this version of them.
pub fn ensure() -> Trees {
    let trees = Trees { root: cache_root() };
    let marker = trees.root.join("version");
    if std::fs::read_to_string(&marker).ok().as_deref() == Some(VERSION) {
        return trees;
    }
    eprintln!(
        "bench-media: making the benchmark trees in {} (once)",
        trees.root.display()
    );
    let _ = std::fs::remove_dir_all(&trees.root);
    std::fs::create_dir_all(&trees.root).expect("creating the bench cache");
    documents(&trees.tree());
    media(&trees);
    photos(&trees.photos());
    small_photos(&trees.library().join("media"));
    std::fs::write(&marker, VERSION).expect("writing the bench cache's version");
    trees
}

/// A small deterministic generator, so the trees are the same on every machine.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

fn documents(tree: &Path) {
    let mut random = Lcg(7);
    let extensions = ["txt", "md", "json", "rs", "pdf", "odt", "csv", "html"];
    for n in 0..DOCUMENTS {
        let folder = tree.join(format!(
            "docs/{:02}/{:02}",
            random.next() % 40,
            random.next() % 12
        ));
        std::fs::create_dir_all(&folder).expect("a folder");
        // One in twenty has no extension: those are sniffed.
        let name = if n % 20 == 0 {
            format!("README-{n}")
        } else {
            format!(
                "note-{n}.{}",
                extensions[random.next() as usize % extensions.len()]
            )
        };
        let body = format!(
            "document {n}: {}\n",
            "lorem ipsum ".repeat(1 + (random.next() % 40) as usize)
        );
        std::fs::write(folder.join(name), body).expect("a document");
    }
}

fn media(trees: &Trees) {
    let samples = trees.root.join("samples");
    let made = Command::new(helper_binary())
        .arg("--make-samples")
        .arg(&samples)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("running hearth-media-helper --make-samples");
    assert!(made.success(), "making the sample media failed");
    let sources: Vec<&str> = SAMPLE_FILES
        .iter()
        .copied()
        .filter(|file| {
            file.starts_with("Videos/")
                || file.ends_with(".flac")
                || file.ends_with(".mp3")
                || file.ends_with(".opus")
        })
        .collect();
    for copy in 0..MEDIA_COPIES {
        let folder = trees.media().join(format!("set-{copy:02}"));
        std::fs::create_dir_all(&folder).expect("a folder");
        for source in &sources {
            let name = Path::new(source).file_name().expect("a name");
            std::fs::copy(samples.join(source), folder.join(name)).expect("copying a sample");
        }
    }
}

/// 12-megapixel JPEGs with a little sensor-like noise, on both cores.
fn photos(folder: &Path) {
    std::fs::create_dir_all(folder).expect("a folder");
    std::thread::scope(|scope| {
        for half in 0..2 {
            scope.spawn(move || {
                for n in (half..PHOTOS).step_by(2) {
                    let mut picture = landscape(4000, 3000, n);
                    let mut random = Lcg(n as u64 + 1);
                    for pixel in picture.pixels_mut() {
                        let noise = (random.next() % 9) as i16 - 4;
                        for channel in pixel.0.iter_mut() {
                            *channel = (*channel as i16 + noise).clamp(0, 255) as u8;
                        }
                    }
                    let mut bytes = Vec::new();
                    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 90)
                        .encode_image(&picture)
                        .expect("encoding a photo");
                    std::fs::write(folder.join(format!("IMG_{n:04}.jpg")), bytes)
                        .expect("writing a photo");
                }
            });
        }
    });
}

fn small_photos(folder: &Path) {
    for n in 0..LIBRARY_ITEMS {
        let sub = folder.join(format!("{:03}", n / 100));
        std::fs::create_dir_all(&sub).expect("a folder");
        let picture = landscape(96, 64, n);
        picture
            .save(sub.join(format!("photo-{n:05}.png")))
            .expect("writing a small photo");
    }
}
