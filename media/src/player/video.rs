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

/// One frame's pixels, BGRx (blue, green, red, unused; the byte order of a little-endian
/// `0xXXRRGGBB`), lent to the reader: `stride` bytes per row, which may be more than
/// `width * 4`.
pub struct FrameView<'a> {
    pub width: u32,
    pub height: u32,
    pub stride: usize,
    pub data: &'a [u8],
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
        let stride = usize::try_from(*frame.plane_stride().first()?).ok()?;
        let data = frame.plane_data(0).ok()?;
        let (width, height) = (frame.width(), frame.height());
        if data.len() < stride * height as usize || stride < width as usize * 4 {
            return None;
        }
        Some((
            generation,
            read(FrameView {
                width,
                height,
                stride,
                data,
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
