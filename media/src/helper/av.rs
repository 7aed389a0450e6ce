//! Videos and music in the helper, through GStreamer: metadata from the Discoverer, a video
//! frame about a tenth of the way in (skipping black frames), and cover art.

use std::path::Path;
use std::time::Duration;

use gstreamer as gst;
use gstreamer_app as gst_app;
use gstreamer_pbutils as gst_pbutils;
use gstreamer_video as gst_video;

use gst::prelude::*;
use gst_pbutils::prelude::*;

use super::photo::{MAX_PICTURE_BYTES, Picture, picture_from_bytes, read_bounded};
use crate::index::Metadata;

/// How long the Discoverer may take over one file before it gives up by itself; the parent's
/// own limit stops the helper if GStreamer does not return at all.
const DISCOVER_TIMEOUT: Duration = Duration::from_secs(8);
/// How long grabbing a video's frame may take in all, so that with the Discoverer's own
/// limit a file stays under the parent's 20 s; past it the video keeps its metadata and has
/// no picture.
const FRAME_BUDGET: Duration = Duration::from_secs(9);
/// Where in a video to look for a frame, as fractions of its length, in order.
const FRAME_POSITIONS: &[f64] = &[0.10, 0.25, 0.40, 0.60];
/// Below this mean brightness (0 to 255) a frame counts as black.
const BLACK_FRAME_BRIGHTNESS: f64 = 24.0;

/// GStreamer and a Discoverer, made once per helper and reused for every file.
pub struct AvReader {
    discoverer: gst_pbutils::Discoverer,
}

impl AvReader {
    pub fn new() -> Result<AvReader, String> {
        gst::init().map_err(|error| format!("GStreamer cannot start: {error}"))?;
        let timeout = gst::ClockTime::from_nseconds(DISCOVER_TIMEOUT.as_nanos() as u64);
        let discoverer = gst_pbutils::Discoverer::new(timeout)
            .map_err(|error| format!("GStreamer's Discoverer cannot start: {error}"))?;
        Ok(AvReader { discoverer })
    }

    /// Reads a video or music file's metadata and, if `longest_side` is given, a picture: a
    /// frame for videos, the cover for music.
    pub fn read(
        &self,
        path: &Path,
        uri: &str,
        longest_side: Option<u32>,
    ) -> Result<(Metadata, Option<Picture>), String> {
        let info = self
            .discoverer
            .discover_uri(uri)
            .map_err(|error| format!("cannot be read as media: {error}"))?;
        match info.result() {
            gst_pbutils::DiscovererResult::Ok => {}
            gst_pbutils::DiscovererResult::MissingPlugins => {
                return Err("uses a format no installed GStreamer plugin reads".to_string());
            }
            gst_pbutils::DiscovererResult::Timeout => {
                return Err(format!(
                    "took longer than {} s to read",
                    DISCOVER_TIMEOUT.as_secs()
                ));
            }
            other => return Err(format!("cannot be read as media ({other:?})")),
        }
        let videos = info.video_streams();
        let audios = info.audio_streams();
        let video = videos.iter().find(|video| !video.is_image());
        if video.is_none() && audios.is_empty() {
            return Err("has neither sound nor pictures".to_string());
        }
        let mut metadata = Metadata {
            duration_ms: info.duration().map(|duration| duration.mseconds()),
            ..Metadata::default()
        };
        if let Some(video) = video {
            metadata.width = Some(video.width());
            metadata.height = Some(video.height());
            metadata.video_codec = video.caps().map(|caps| {
                gst_pbutils::functions::pb_utils_get_codec_description(&caps).to_string()
            });
        }
        metadata.audio_codec = audios.first().and_then(|audio| {
            audio.caps().map(|caps| {
                gst_pbutils::functions::pb_utils_get_codec_description(&caps).to_string()
            })
        });
        // The container's tags, then the main stream's: a video's title is on the container or
        // its picture stream. The other tracks' tags are left out, since Matroska names an
        // audio track "Audio", and that is no title for the film.
        let container_tags = info
            .stream_info()
            .and_then(|root| root.downcast::<gst_pbutils::DiscovererContainerInfo>().ok())
            .map(|container| container.tags());
        let stream_tags = match video {
            Some(video) => video.tags(),
            None => audios.first().and_then(|audio| audio.tags()),
        };
        let tags = match (container_tags.flatten(), stream_tags) {
            (Some(container), Some(stream)) => {
                Some(container.merge(&stream, gst::TagMergeMode::Keep))
            }
            (container, stream) => container.or(stream),
        };
        if let Some(tags) = &tags {
            read_tags(tags, &mut metadata);
        }
        let picture = match (longest_side, video) {
            (None, _) => None,
            (Some(side), Some(video)) => {
                let par = video.par();
                let aspect = f64::from(video.width()) * f64::from(par.numer().max(1))
                    / (f64::from(video.height().max(1)) * f64::from(par.denom().max(1)));
                match video_frame(uri, metadata.duration_ms, aspect, side) {
                    Ok(picture) => Some(picture),
                    Err(reason) => {
                        eprintln!("hearth-media-helper: no picture for {uri}: {reason}");
                        None
                    }
                }
            }
            (Some(side), None) => cover_art(tags.as_ref(), path, side),
        };
        Ok((metadata, picture))
    }
}

fn clean(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

fn read_tags(tags: &gst::TagList, metadata: &mut Metadata) {
    metadata.title = tags
        .get::<gst::tags::Title>()
        .and_then(|tag| clean(tag.get()));
    metadata.artist = tags
        .get::<gst::tags::AlbumArtist>()
        .and_then(|tag| clean(tag.get()))
        .or_else(|| {
            tags.get::<gst::tags::Artist>()
                .and_then(|tag| clean(tag.get()))
        });
    metadata.album = tags
        .get::<gst::tags::Album>()
        .and_then(|tag| clean(tag.get()));
    metadata.track = tags
        .get::<gst::tags::TrackNumber>()
        .map(|tag| tag.get())
        .filter(|&track| track > 0);
    metadata.year = tags
        .get::<gst::tags::DateTime>()
        .map(|tag| tag.get().year())
        .or_else(|| {
            tags.get::<gst::tags::Date>()
                .map(|tag| i32::from(tag.get().year()))
        })
        .filter(|year| (1..=9999).contains(year));
}

/// Embedded art, else a `cover.jpg` or `folder.jpg` beside the file.
fn cover_art(tags: Option<&gst::TagList>, path: &Path, side: u32) -> Option<Picture> {
    let embedded = tags.and_then(|tags| {
        tags.get::<gst::tags::Image>()
            .map(|tag| tag.get().to_owned())
            .or_else(|| {
                tags.get::<gst::tags::PreviewImage>()
                    .map(|tag| tag.get().to_owned())
            })
    });
    if let Some(sample) = embedded
        && let Some(buffer) = sample.buffer()
        && let Ok(map) = buffer.map_readable()
        && let Ok(picture) = picture_from_bytes(map.as_slice(), side)
    {
        return Some(picture);
    }
    let folder = path.parent()?;
    [
        "cover.jpg",
        "Cover.jpg",
        "folder.jpg",
        "Folder.jpg",
        "cover.png",
        "front.jpg",
    ]
    .iter()
    .map(|name| folder.join(name))
    .filter(|candidate| candidate.is_file())
    .find_map(|candidate| {
        picture_from_bytes(&read_bounded(&candidate, MAX_PICTURE_BYTES).ok()?, side).ok()
    })
}

fn wait_for_preroll(pipeline: &gst::Element, deadline: std::time::Instant) -> Result<(), String> {
    let bus = pipeline.bus().ok_or("a pipeline without a bus")?;
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return Err(format!(
                "showed no picture within {} s",
                FRAME_BUDGET.as_secs()
            ));
        }
        let message = bus.timed_pop_filtered(
            gst::ClockTime::from_nseconds(left.as_nanos() as u64),
            &[
                gst::MessageType::AsyncDone,
                gst::MessageType::Error,
                gst::MessageType::Eos,
            ],
        );
        match message.as_ref().map(|message| message.view()) {
            Some(gst::MessageView::AsyncDone(_)) => return Ok(()),
            Some(gst::MessageView::Error(error)) => {
                return Err(format!("cannot be decoded: {}", error.error()));
            }
            Some(gst::MessageView::Eos(_)) => return Err("ended before any picture".to_string()),
            _ => {}
        }
    }
}

/// A frame from about a tenth of the way in, trying later places while frames are black.
fn video_frame(
    uri: &str,
    duration_ms: Option<u64>,
    aspect: f64,
    side: u32,
) -> Result<Picture, String> {
    let (width, height) = if aspect >= 1.0 {
        (side, ((f64::from(side) / aspect).round() as u32).max(2))
    } else {
        (((f64::from(side) * aspect).round() as u32).max(2), side)
    };
    let caps = gst_video::VideoCapsBuilder::new()
        .format(gst_video::VideoFormat::Rgbx)
        .width(width as i32)
        .height(height as i32)
        .pixel_aspect_ratio(gst::Fraction::new(1, 1))
        .build();
    let sink = gst_app::AppSink::builder()
        .caps(&caps)
        .max_buffers(1)
        .drop(true)
        .build();
    let pipeline = gst::ElementFactory::make("playbin")
        .property("uri", uri)
        .property("video-sink", &sink)
        .build()
        .map_err(|error| format!("GStreamer has no playbin: {error}"))?;
    pipeline.set_property_from_str("flags", "video");
    let deadline = std::time::Instant::now() + FRAME_BUDGET;
    let result = (|| {
        pipeline
            .set_state(gst::State::Paused)
            .map_err(|_| "cannot be opened for decoding".to_string())?;
        wait_for_preroll(&pipeline, deadline)?;
        let mut best: Option<(f64, Picture)> = None;
        for &fraction in FRAME_POSITIONS {
            if let Some(duration) = duration_ms.filter(|&ms| ms > 0) {
                let position = gst::ClockTime::from_mseconds((duration as f64 * fraction) as u64);
                if pipeline
                    .seek_simple(gst::SeekFlags::FLUSH | gst::SeekFlags::ACCURATE, position)
                    .is_ok()
                {
                    wait_for_preroll(&pipeline, deadline)?;
                }
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let sample = sink
                .try_pull_preroll(gst::ClockTime::from_nseconds(left.as_nanos() as u64))
                .ok_or("showed no picture")?;
            let (picture, brightness) = picture_from_sample(&sample)?;
            if brightness >= BLACK_FRAME_BRIGHTNESS || duration_ms.is_none() {
                return Ok(picture);
            }
            if best.as_ref().is_none_or(|(bright, _)| brightness > *bright) {
                best = Some((brightness, picture));
            }
        }
        best.map(|(_, picture)| picture)
            .ok_or_else(|| "showed no picture".to_string())
    })();
    let _ = pipeline.set_state(gst::State::Null);
    result
}

/// Copies an RGBx sample into packed RGB, honouring its stride, with its mean brightness.
fn picture_from_sample(sample: &gst::Sample) -> Result<(Picture, f64), String> {
    let caps = sample.caps().ok_or("a frame without caps")?;
    let info = gst_video::VideoInfo::from_caps(caps).map_err(|_| "a frame with unusable caps")?;
    let buffer = sample.buffer().ok_or("a frame without pixels")?;
    let map = buffer
        .map_readable()
        .map_err(|_| "a frame that cannot be read")?;
    let (width, height) = (info.width() as usize, info.height() as usize);
    let stride = info.stride()[0] as usize;
    let data = map.as_slice();
    if stride < width * 4 || data.len() < stride * height.saturating_sub(1) + width * 4 {
        return Err("a frame smaller than its caps say".to_string());
    }
    let mut rgb = Vec::with_capacity(width * height * 3);
    let mut sum = 0u64;
    for row in data.chunks(stride).take(height) {
        for pixel in row[..width * 4].chunks_exact(4) {
            rgb.extend_from_slice(&pixel[..3]);
            sum +=
                (u64::from(pixel[0]) * 299 + u64::from(pixel[1]) * 587 + u64::from(pixel[2]) * 114)
                    / 1000;
        }
    }
    let brightness = sum as f64 / (width * height).max(1) as f64;
    Ok((
        Picture {
            width: width as u32,
            height: height as u32,
            rgb,
        },
        brightness,
    ))
}
