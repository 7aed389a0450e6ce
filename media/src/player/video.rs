//! Decoded video frames handed from GStreamer's streaming thread to whoever shows them.
//!
//! The appsink keeps only the newest frame: the screen takes it when it can and lends its
//! pixels without a copy here (the one copy is the reader's, into what it displays). A frame
//! replaced before anyone took it is counted as dropped, beside the frames GStreamer itself
//! dropped for being late.

use std::sync::{Arc, Mutex};

use gstreamer as gst;
use gstreamer_video as gst_video;
use gstreamer_video::prelude::*;

/// What a frame's bytes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameFormat {
    /// One plane: blue, green, red, unused (a little-endian `0xXXRRGGBB`).
    Bgrx,
    /// Three planes, Y at full size and U and V at half size each way, with the colour
    /// matrix (BT.709 or BT.601) and whether the values use the full 0–255 range.
    I420 { bt709: bool, full_range: bool },
}

/// How the player should hand frames over: BGRx for the CPU, I420 for a GPU that converts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VideoFormat {
    #[default]
    Bgrx,
    I420,
}

/// One plane of a frame: `stride` bytes per row, which may be more than a row's pixels.
#[derive(Debug, Clone, Copy)]
pub struct Plane<'a> {
    pub data: &'a [u8],
    pub stride: usize,
}

/// One frame's pixels, lent to the reader. `stride` and `data` are the first plane (the
/// whole frame for BGRx, Y for I420); `chroma` holds U and V for I420.
pub struct FrameView<'a> {
    pub width: u32,
    pub height: u32,
    pub format: FrameFormat,
    pub stride: usize,
    pub data: &'a [u8],
    pub chroma: Option<[Plane<'a>; 2]>,
}

#[derive(Default)]
struct Slot {
    sample: Option<gst::Sample>,
    generation: u64,
    taken: u64,
    replaced_untaken: u64,
    delivered: u64,
}

/// Frame counts since the file was opened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FrameStats {
    /// Frames the reader took.
    pub shown: u64,
    /// Frames replaced by a newer one before the reader took them.
    pub replaced: u64,
    /// Frames GStreamer dropped for arriving late (QoS).
    pub late: u64,
}

/// The newest decoded frame; cheap to clone, shared with the engine.
#[derive(Clone, Default)]
pub struct VideoOutput {
    slot: Arc<Mutex<Slot>>,
    late: Arc<std::sync::atomic::AtomicU64>,
}

impl VideoOutput {
    /// Stores a frame; true when it is the first one since the last take (the reader should
    /// be woken).
    pub(crate) fn put(&self, sample: gst::Sample) -> bool {
        let mut slot = self.lock();
        if slot.generation > slot.taken {
            slot.replaced_untaken += 1;
        }
        let wake = slot.generation == slot.taken;
        slot.sample = Some(sample);
        slot.generation += 1;
        slot.delivered += 1;
        wake
    }

    /// Records how many frames the sink has dropped for lateness so far.
    pub(crate) fn set_late(&self, frames: u64) {
        self.late
            .fetch_max(frames, std::sync::atomic::Ordering::Relaxed);
    }

    /// Forgets the frame and the counts (a new file is opened).
    pub(crate) fn clear(&self) {
        *self.lock() = Slot::default();
        self.late.store(0, std::sync::atomic::Ordering::Relaxed);
    }

    /// Lends the newest frame to `read` if there is one newer than `seen` (or any frame when
    /// `seen` is 0), and returns its generation with what `read` returned.
    pub fn take_since<R>(
        &self,
        seen: u64,
        read: impl FnOnce(FrameView<'_>) -> R,
    ) -> Option<(u64, R)> {
        let sample = {
            let mut slot = self.lock();
            if slot.generation == 0 || (seen != 0 && slot.generation <= seen) {
                return None;
            }
            slot.taken = slot.generation;
            (slot.sample.clone()?, slot.generation)
        };
        let (sample, generation) = sample;
        let caps = sample.caps()?;
        let info = gst_video::VideoInfo::from_caps(caps).ok()?;
        let buffer = sample.buffer()?;
        let frame = gst_video::VideoFrameRef::from_buffer_ref_readable(buffer, &info).ok()?;
        let strides = frame.plane_stride();
        let plane = |index: usize, rows: u32, row_bytes: u32| -> Option<Plane<'_>> {
            let stride = usize::try_from(*strides.get(index)?).ok()?;
            let data = frame.plane_data(u32::try_from(index).ok()?).ok()?;
            (stride >= row_bytes as usize && data.len() >= stride * rows as usize)
                .then_some(Plane { data, stride })
        };
        let (width, height) = (frame.width(), frame.height());
        let (format, first, chroma) = match info.format() {
            gst_video::VideoFormat::I420 => {
                let colorimetry = info.colorimetry();
                let format = FrameFormat::I420 {
                    bt709: colorimetry.matrix() != gst_video::VideoColorMatrix::Bt601,
                    full_range: colorimetry.range() == gst_video::VideoColorRange::Range0_255,
                };
                let (half_width, half_height) = (width.div_ceil(2), height.div_ceil(2));
                let chroma = [
                    plane(1, half_height, half_width)?,
                    plane(2, half_height, half_width)?,
                ];
                (format, plane(0, height, width)?, Some(chroma))
            }
            _ => (FrameFormat::Bgrx, plane(0, height, width * 4)?, None),
        };
        Some((
            generation,
            read(FrameView {
                width,
                height,
                format,
                stride: first.stride,
                data: first.data,
                chroma,
            }),
        ))
    }

    /// Whether a frame is waiting that the reader has not taken.
    pub fn fresh(&self) -> bool {
        let slot = self.lock();
        slot.generation > slot.taken
    }

    pub fn stats(&self) -> FrameStats {
        let slot = self.lock();
        FrameStats {
            shown: slot.delivered - slot.replaced_untaken - u64::from(slot.generation > slot.taken),
            replaced: slot.replaced_untaken,
            late: self.late.load(std::sync::atomic::Ordering::Relaxed),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Slot> {
        self.slot.lock().unwrap_or_else(|p| p.into_inner())
    }
}
