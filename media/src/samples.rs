//! A small library of real media made on the spot: videos encoded by GStreamer (H.264 with
//! AAC in MP4, VP8 with Vorbis in WebM), an album in FLAC, MP3 and Opus with tags and a
//! cover, and photos with EXIF. The demo fills its library with it on first run, and the
//! tests read it back.
//!
//! Runs in the helper process (`hearth-media-helper --make-samples DIR`), so Hearth's own
//! process never loads GStreamer.

use std::path::{Path, PathBuf};
use std::time::Duration;

use gst::prelude::*;
use gstreamer as gst;
use image::{Rgb, RgbImage};

/// What [`make_samples`] writes, relative to its folder.
pub const SAMPLE_FILES: &[&str] = &[
    "Videos/Harbour at dusk.mp4",
    "Videos/Night train.webm",
    "Videos/Fade in.mp4",
    "Music/Ada Lind - Blue Hour/01 Morning.flac",
    "Music/Ada Lind - Blue Hour/02 Noon.mp3",
    "Music/Ada Lind - Blue Hour/03 Evening.opus",
    "Music/Ada Lind - Blue Hour/cover.jpg",
    "Pictures/Coast.jpg",
    "Pictures/Meadow.jpg",
    "Pictures/Portrait of a lighthouse.jpg",
    "Pictures/Dunes.png",
];

const PIPELINE_TIMEOUT: Duration = Duration::from_secs(120);

pub(crate) fn run_pipeline(description: &str, out: &Path) -> Result<(), String> {
    let pipeline = gst::parse::launch(description)
        .map_err(|error| format!("cannot build `{description}`: {error}"))?
        .downcast::<gst::Pipeline>()
        .map_err(|_| "not a pipeline".to_string())?;
    let sink = pipeline.by_name("out").ok_or("the pipeline has no `out`")?;
    sink.set_property("location", out.to_string_lossy().as_ref());
    pipeline
        .set_state(gst::State::Playing)
        .map_err(|error| format!("cannot start `{description}`: {error}"))?;
    let bus = pipeline.bus().ok_or("a pipeline without a bus")?;
    let result = match bus
        .timed_pop_filtered(
            gst::ClockTime::from_seconds(PIPELINE_TIMEOUT.as_secs()),
            &[gst::MessageType::Eos, gst::MessageType::Error],
        )
        .as_ref()
        .map(|message| message.view())
    {
        Some(gst::MessageView::Eos(_)) => Ok(()),
        Some(gst::MessageView::Error(error)) => Err(format!(
            "encoding {} failed: {}",
            out.display(),
            error.error()
        )),
        _ => Err(format!("encoding {} took too long", out.display())),
    };
    let _ = pipeline.set_state(gst::State::Null);
    result
}

/// Runs a `gst-launch`-style description whose sink is a `filesink name=out` writing `out`,
/// until it ends (tests make the media they need with it).
pub fn encode(description: &str, out: &Path) -> Result<(), String> {
    gst::init().map_err(|error| format!("GStreamer cannot start: {error}"))?;
    run_pipeline(description, out)
}

fn tags(title: &str, artist: &str, album: &str, track: u32) -> String {
    format!(
        "taginject tags=\"title=\\\"{title}\\\",artist=\\\"{artist}\\\",album=\\\"{album}\\\",track-number=(uint){track},album-artist=\\\"{artist}\\\"\""
    )
}

/// Writes the sample library into `folder` (files already there are kept).
pub fn make_samples(folder: &Path) -> Result<Vec<PathBuf>, String> {
    gst::init().map_err(|error| format!("GStreamer cannot start: {error}"))?;
    let path = |relative: &str| folder.join(relative);
    for relative in SAMPLE_FILES {
        if let Some(parent) = path(relative).parent() {
            std::fs::create_dir_all(parent)
                .map_err(|error| format!("cannot create {}: {error}", parent.display()))?;
        }
    }
    let video = |pattern: &str, seconds: u32| {
        format!(
            "videotestsrc pattern={pattern} num-buffers={} ! video/x-raw,format=I420,width=640,height=360,framerate=25/1",
            seconds * 25
        )
    };
    let audio = |frequency: u32, seconds: u32| {
        format!(
            "audiotestsrc wave=sine freq={frequency} num-buffers={} samplesperbuffer=1024 ! audio/x-raw,rate=44100,channels=2 ! audioconvert",
            seconds * 44100 / 1024
        )
    };
    let jobs: Vec<(String, &str)> = vec![
        (
            format!(
                "{} ! x264enc speed-preset=ultrafast ! h264parse ! taginject tags=\"title=\\\"Harbour at dusk\\\"\" ! mp4mux name=mux ! filesink name=out {} ! avenc_aac ! mux.",
                video("pinwheel", 4),
                audio(330, 4)
            ),
            SAMPLE_FILES[0],
        ),
        (
            format!(
                "{} ! vp8enc deadline=1 ! taginject tags=\"title=\\\"Night train\\\"\" ! webmmux name=mux ! filesink name=out {} ! vorbisenc ! mux.",
                video("circular", 4),
                audio(220, 4)
            ),
            SAMPLE_FILES[1],
        ),
        (
            // Black for the first 40 %, so the thumbnail has to look further in.
            format!(
                "concat name=c ! x264enc speed-preset=ultrafast ! h264parse ! mp4mux ! filesink name=out {} ! c. {} ! c.",
                video("black", 2),
                video("smpte", 3)
            ),
            SAMPLE_FILES[2],
        ),
        (
            format!(
                "{} ! {} ! flacenc ! filesink name=out",
                audio(440, 3),
                tags("Morning", "Ada Lind", "Blue Hour", 1)
            ),
            SAMPLE_FILES[3],
        ),
        (
            format!(
                "{} ! {} ! lamemp3enc ! id3v2mux ! filesink name=out",
                audio(494, 3),
                tags("Noon", "Ada Lind", "Blue Hour", 2)
            ),
            SAMPLE_FILES[4],
        ),
        (
            format!(
                "{} ! audioresample ! {} ! opusenc ! oggmux ! filesink name=out",
                audio(523, 3),
                tags("Evening", "Ada Lind", "Blue Hour", 3)
            ),
            SAMPLE_FILES[5],
        ),
    ];
    for (description, relative) in &jobs {
        run_pipeline(description, &path(relative))?;
    }
    let write = |relative: &str, bytes: Vec<u8>| {
        std::fs::write(path(relative), bytes)
            .map_err(|error| format!("cannot write {relative}: {error}"))
    };
    write(SAMPLE_FILES[6], jpeg(&landscape(600, 600, 2), None)?)?;
    write(
        SAMPLE_FILES[7],
        jpeg(
            &landscape(1600, 1200, 0),
            Some(exif("Hearth", "Sample Camera", 1, "2024:07:14 18:30:00")),
        )?,
    )?;
    write(
        SAMPLE_FILES[8],
        jpeg(
            &landscape(1600, 1200, 1),
            Some(exif("Hearth", "Sample Camera", 1, "2025:05:02 09:12:44")),
        )?,
    )?;
    // Stored on its side, as cameras do: EXIF orientation 6 turns it upright.
    write(
        SAMPLE_FILES[9],
        jpeg(
            &landscape(1600, 1200, 3),
            Some(exif("Hearth", "Sample Camera", 6, "2023:10:21 16:05:10")),
        )?,
    )?;
    let mut png_bytes = Vec::new();
    image::DynamicImage::ImageRgb8(landscape(1200, 800, 4))
        .write_to(
            &mut std::io::Cursor::new(&mut png_bytes),
            image::ImageFormat::Png,
        )
        .map_err(|error| format!("cannot encode a PNG: {error}"))?;
    write(SAMPLE_FILES[10], png_bytes)?;
    Ok(SAMPLE_FILES.iter().map(|relative| path(relative)).collect())
}

/// A picture of sky, sun and hills in one of a few palettes.
pub fn landscape(width: u32, height: u32, palette: usize) -> RgbImage {
    /// Sky at the top, sky at the horizon, sun, hills.
    type Palette = ([f32; 3], [f32; 3], [f32; 3], [f32; 3]);
    const PALETTES: [Palette; 5] = [
        (
            [255., 140., 80.],
            [70., 40., 120.],
            [255., 230., 150.],
            [40., 60., 90.],
        ),
        (
            [120., 190., 255.],
            [230., 245., 255.],
            [255., 250., 210.],
            [70., 140., 60.],
        ),
        (
            [30., 40., 90.],
            [200., 90., 140.],
            [250., 240., 200.],
            [20., 30., 50.],
        ),
        (
            [160., 200., 230.],
            [250., 220., 180.],
            [255., 255., 230.],
            [90., 80., 70.],
        ),
        (
            [250., 200., 120.],
            [255., 240., 210.],
            [255., 255., 240.],
            [210., 160., 90.],
        ),
    ];
    let (top, bottom, sun, hills) = PALETTES[palette % PALETTES.len()];
    let (w, h) = (width as f32, height as f32);
    let (sun_x, sun_y, sun_r) = (w * (0.3 + 0.1 * palette as f32), h * 0.38, h * 0.12);
    RgbImage::from_fn(width, height, |x, y| {
        let (fx, fy) = (x as f32, y as f32);
        let ridge = h
            * (0.62 + 0.06 * (fx / w * 6.0 + palette as f32).sin() + 0.03 * (fx / w * 17.0).sin());
        let colour = if fy > ridge {
            let shade = 1.0 - 0.4 * ((fy - ridge) / (h - ridge + 1.0));
            hills.map(|c| c * shade)
        } else if (fx - sun_x).hypot(fy - sun_y) < sun_r {
            sun
        } else {
            let t = fy / ridge.max(1.0);
            [0, 1, 2].map(|i| top[i] * (1.0 - t) + bottom[i] * t)
        };
        Rgb(colour.map(|c| c.clamp(0.0, 255.0) as u8))
    })
}

/// A JPEG of `picture`, with an EXIF segment right after its start marker if given.
fn jpeg(picture: &RgbImage, exif: Option<Vec<u8>>) -> Result<Vec<u8>, String> {
    let mut encoded = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut encoded, 88)
        .encode_image(picture)
        .map_err(|error| format!("cannot encode a JPEG: {error}"))?;
    let Some(exif) = exif else { return Ok(encoded) };
    let mut segment = vec![0xFF, 0xE1];
    segment.extend_from_slice(&((exif.len() + 8) as u16).to_be_bytes());
    segment.extend_from_slice(b"Exif\0\0");
    segment.extend_from_slice(&exif);
    let mut out = encoded[..2].to_vec();
    out.extend_from_slice(&segment);
    out.extend_from_slice(&encoded[2..]);
    Ok(out)
}

/// A big-endian TIFF block with Make, Model, Orientation and DateTimeOriginal.
pub fn exif(make: &str, model: &str, orientation: u16, taken: &str) -> Vec<u8> {
    let text = |value: &str| {
        let mut bytes = value.as_bytes().to_vec();
        bytes.push(0);
        bytes
    };
    let (make, model, taken) = (text(make), text(model), text(taken));
    let entry = |tag: u16, kind: u16, count: u32, value: u32| {
        let mut bytes = Vec::with_capacity(12);
        bytes.extend_from_slice(&tag.to_be_bytes());
        bytes.extend_from_slice(&kind.to_be_bytes());
        bytes.extend_from_slice(&count.to_be_bytes());
        bytes.extend_from_slice(&value.to_be_bytes());
        bytes
    };
    const ASCII: u16 = 2;
    const SHORT: u16 = 3;
    const LONG: u16 = 4;
    let ifd0_len = 2 + 4 * 12 + 4;
    let make_at = 8 + ifd0_len;
    let model_at = make_at + make.len();
    let exif_ifd_at = model_at + model.len();
    let taken_at = exif_ifd_at + 2 + 12 + 4;
    let mut tiff = b"MM\0\x2A".to_vec();
    tiff.extend_from_slice(&8u32.to_be_bytes());
    tiff.extend_from_slice(&4u16.to_be_bytes());
    tiff.extend(entry(0x010F, ASCII, make.len() as u32, make_at as u32));
    tiff.extend(entry(0x0110, ASCII, model.len() as u32, model_at as u32));
    tiff.extend(entry(0x0112, SHORT, 1, u32::from(orientation) << 16));
    tiff.extend(entry(0x8769, LONG, 1, exif_ifd_at as u32));
    tiff.extend_from_slice(&0u32.to_be_bytes());
    tiff.extend_from_slice(&make);
    tiff.extend_from_slice(&model);
    tiff.extend_from_slice(&1u16.to_be_bytes());
    tiff.extend(entry(0x9003, ASCII, taken.len() as u32, taken_at as u32));
    tiff.extend_from_slice(&0u32.to_be_bytes());
    tiff.extend_from_slice(&taken);
    tiff
}
