//! Pictures of a video at a position, for the seek bar's preview while a finger scrubs: in
//! the player process (`Player::preview`), a second, video-only `playbin` on a thread of its
//! own, paused, seeking to the nearest key
//! frame (fast) and handing over the small frame it prerolls. Requests made faster than it
//! answers are coalesced: only the latest position is looked up.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender};
use std::time::Duration;

use gst::prelude::*;
use gstreamer as gst;
use gstreamer_app as gst_app;
use gstreamer_video as gst_video;

/// The preview's width; the height follows the video's shape, at most twice the width.
pub const PREVIEW_WIDTH: u32 = 240;
/// The longest a preview may take before it is given up.
const STEP_TIMEOUT: Duration = Duration::from_secs(3);

/// A small picture of the video at `position`, RGBA rows without padding.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PreviewFrame {
    #[serde(with = "super::wire::path_bytes")]
    pub path: PathBuf,
    pub position: Duration,
    pub width: u32,
    pub height: u32,
    #[serde(with = "super::wire::bytes_base64")]
    pub rgba: Vec<u8>,
}

/// Receives previews; called from the previewer's thread.
pub(crate) type PreviewSink = Arc<dyn Fn(PreviewFrame) + Send + Sync>;

enum Ask {
    At(PathBuf, Duration),
    Quit,
}

/// Looks up preview frames on its own thread; every call returns at once.
pub(crate) struct Previewer {
    asks: Sender<Ask>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Previewer {
    pub(crate) fn new(sink: PreviewSink) -> Previewer {
        let (asks, receiver) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("hearth-preview".into())
            .spawn(move || run(&receiver, &sink))
            .ok();
        Previewer { asks, thread }
    }

    /// Asks for the picture of `path` at `position`; a later ask replaces one not yet done.
    pub(crate) fn request(&self, path: &Path, position: Duration) {
        let _ = self.asks.send(Ask::At(path.to_path_buf(), position));
    }
}

impl Drop for Previewer {
    fn drop(&mut self) {
        let _ = self.asks.send(Ask::Quit);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

struct Pipeline {
    playbin: gst::Element,
    appsink: gst_app::AppSink,
    path: PathBuf,
}

impl Drop for Pipeline {
    fn drop(&mut self) {
        let _ = self.playbin.set_state(gst::State::Null);
    }
}

fn run(receiver: &Receiver<Ask>, sink: &PreviewSink) {
    if let Err(error) = gst::init() {
        tracing::warn!(%error, "no seek previews: GStreamer cannot start");
        return;
    }
    let mut pipeline: Option<Pipeline> = None;
    while let Ok(mut ask) = receiver.recv() {
        // Only the latest ask matters.
        while let Ok(later) = receiver.try_recv() {
            ask = later;
        }
        let Ask::At(path, position) = ask else { return };
        if pipeline.as_ref().is_none_or(|p| p.path != path) {
            pipeline = None;
            match open(&path) {
                Ok(opened) => pipeline = Some(opened),
                Err(reason) => {
                    tracing::debug!(path = %path.display(), %reason, "no seek preview");
                    continue;
                }
            }
        }
        let Some(opened) = pipeline.as_ref() else {
            continue;
        };
        match frame_at(opened, position) {
            Ok((width, height, rgba)) => sink(PreviewFrame {
                path,
                position,
                width,
                height,
                rgba,
            }),
            Err(reason) => {
                tracing::debug!(path = %path.display(), %reason, "no seek preview");
                pipeline = None;
            }
        }
    }
}

fn open(path: &Path) -> Result<Pipeline, String> {
    let playbin = gst::ElementFactory::make("playbin")
        .build()
        .map_err(|_| "no playbin".to_string())?;
    let appsink = gst_app::AppSink::builder()
        .caps(
            &gst::Caps::builder("video/x-raw")
                .field("format", "BGRx")
                .field("width", PREVIEW_WIDTH as i32)
                // A very tall video gets borders: a preview crosses the socket in one line.
                .field("height", gst::IntRange::new(1, 2 * PREVIEW_WIDTH as i32))
                .field("pixel-aspect-ratio", gst::Fraction::new(1, 1))
                .build(),
        )
        .max_buffers(1)
        .drop(true)
        .sync(false)
        .build();
    let fakesink = gst::ElementFactory::make("fakesink")
        .build()
        .map_err(|_| "no fakesink".to_string())?;
    playbin.set_property("video-sink", &appsink);
    playbin.set_property("audio-sink", &fakesink);
    playbin.set_property_from_str("flags", "video");
    let absolute = std::path::absolute(path).map_err(|error| error.to_string())?;
    let uri = gst::glib::filename_to_uri(absolute, None).map_err(|error| error.to_string())?;
    playbin.set_property("uri", uri.as_str());
    let pipeline = Pipeline {
        playbin,
        appsink,
        path: path.to_path_buf(),
    };
    pipeline
        .playbin
        .set_state(gst::State::Paused)
        .map_err(|error| error.to_string())?;
    wait_for_preroll(&pipeline.playbin)?;
    Ok(pipeline)
}

fn wait_for_preroll(playbin: &gst::Element) -> Result<(), String> {
    let bus = playbin.bus().ok_or("no bus")?;
    let message = bus.timed_pop_filtered(
        gst::ClockTime::from_mseconds(STEP_TIMEOUT.as_millis() as u64),
        &[gst::MessageType::AsyncDone, gst::MessageType::Error],
    );
    match message.as_ref().map(|m| m.view()) {
        Some(gst::MessageView::AsyncDone(_)) => Ok(()),
        Some(gst::MessageView::Error(error)) => Err(error.error().to_string()),
        _ => Err("the preview took too long".into()),
    }
}

fn frame_at(pipeline: &Pipeline, position: Duration) -> Result<(u32, u32, Vec<u8>), String> {
    let target =
        gst::ClockTime::from_nseconds(u64::try_from(position.as_nanos()).unwrap_or(u64::MAX));
    pipeline
        .playbin
        .seek_simple(
            gst::SeekFlags::FLUSH | gst::SeekFlags::KEY_UNIT | gst::SeekFlags::SNAP_NEAREST,
            target,
        )
        .map_err(|error| error.to_string())?;
    wait_for_preroll(&pipeline.playbin)?;
    let sample = pipeline
        .appsink
        .try_pull_preroll(gst::ClockTime::from_mseconds(
            STEP_TIMEOUT.as_millis() as u64
        ))
        .ok_or("no frame")?;
    let info = gst_video::VideoInfo::from_caps(sample.caps().ok_or("no caps")?)
        .map_err(|error| error.to_string())?;
    let buffer = sample.buffer().ok_or("no buffer")?;
    let frame = gst_video::VideoFrameRef::from_buffer_ref_readable(buffer, &info)
        .map_err(|error| error.to_string())?;
    let (width, height) = (info.width(), info.height());
    let stride =
        usize::try_from(*info.stride().first().ok_or("no stride")?).map_err(|e| e.to_string())?;
    let data = frame.plane_data(0).map_err(|error| error.to_string())?;
    let row = width as usize * 4;
    let mut rgba = Vec::with_capacity(row * height as usize);
    for y in 0..height as usize {
        let line = data
            .get(y * stride..y * stride + row)
            .ok_or("a short frame")?;
        for pixel in line.chunks_exact(4) {
            rgba.extend_from_slice(&[pixel[2], pixel[1], pixel[0], 255]);
        }
    }
    Ok((width, height, rgba))
}
