//! Decoded video frames handed to whoever shows them: in the player process from
//! GStreamer's streaming thread, in Hearth from the shared slots the player process writes.
//!
//! Only the newest frame is kept: the screen takes it when it can and lends its pixels
//! without a copy here (the one copy is the reader's, into what it displays). A frame
//! replaced before anyone took it is counted as dropped, beside the frames GStreamer itself
//! dropped for being late.

use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use super::slots::{self, Mapped};
use super::wire::FrameLayout;

use gstreamer as gst;
use gstreamer_video as gst_video;
use gstreamer_video::prelude::*;

/// What a frame's bytes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FrameFormat {
    /// One plane: blue, green, red, unused (a little-endian `0xXXRRGGBB`).
    Bgrx,
    /// Three planes, Y at full size and U and V at half size each way, with the colour
    /// matrix (BT.709 or BT.601) and whether the values use the full 0–255 range.
    I420 { bt709: bool, full_range: bool },
}

/// How the player should hand frames over: BGRx for the CPU, I420 for a GPU that converts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
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
    /// Where the frame lies in memory shared with the player process, when it came from one.
    pub shared: Option<Shared<'a>>,
    /// How wide a pixel is shown, width:height (1:1 for square pixels).
    pub pixel_aspect: (u32, u32),
}

/// Where a frame from the player process lies: a display server handed the slot's file can
/// read the frame from there, with no copy in Hearth.
#[derive(Debug, Clone, Copy)]
pub struct Shared<'a> {
    /// Which set of slots (each player process writes into a set of its own).
    pub set: u64,
    pub slot: usize,
    /// The slot's file, sealed at its size.
    pub file: std::os::fd::BorrowedFd<'a>,
    /// Where the first plane starts in the slot.
    pub offset: usize,
}

/// A frame in one of the player process's slots, lent to Hearth until it is dropped.
pub(crate) struct Lent {
    layout: FrameLayout,
    slots: Arc<Mapped>,
    release: Arc<dyn Fn(usize) + Send + Sync>,
}

impl Lent {
    /// A frame the child announced, once [`slots::check`] has held it to its slot.
    pub(crate) fn new(
        layout: FrameLayout,
        slots: Arc<Mapped>,
        release: Arc<dyn Fn(usize) + Send + Sync>,
    ) -> Result<Lent, String> {
        match slots::check(&layout) {
            Ok(()) => Ok(Lent {
                layout,
                slots,
                release,
            }),
            Err(reason) => {
                release(layout.slot);
                Err(reason)
            }
        }
    }
}

impl Drop for Lent {
    fn drop(&mut self) {
        (self.release)(self.layout.slot);
    }
}

/// Called when the frame is cleared.
type ClearHook = Box<dyn Fn() + Send>;

/// A frame as it is kept.
#[derive(Clone)]
enum Held {
    Sample(gst::Sample),
    Lent(Arc<Lent>),
}

#[derive(Default)]
struct Slot {
    sample: Option<Held>,
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
    /// Frames dropped before they got here (by the player process).
    dropped_before: Arc<std::sync::atomic::AtomicU64>,
    /// Told when the frame is cleared (the player process tells Hearth).
    on_clear: Arc<Mutex<Option<ClearHook>>>,
}

impl VideoOutput {
    /// Stores a frame; true when it is the first one since the last take (the reader should
    /// be woken).
    pub(crate) fn put(&self, sample: gst::Sample) -> bool {
        self.keep(Held::Sample(sample))
    }

    /// Stores a frame lent from the player process, with the counts it came with.
    pub(crate) fn put_lent(&self, lent: Lent) -> bool {
        let counts = (lent.layout.dropped, lent.layout.late);
        self.dropped_before
            .store(counts.0, std::sync::atomic::Ordering::Relaxed);
        self.set_late(counts.1);
        self.keep(Held::Lent(Arc::new(lent)))
    }

    /// Calls `hook` whenever the frame is cleared.
    pub(crate) fn on_clear(&self, hook: ClearHook) {
        *self.on_clear.lock().unwrap_or_else(|p| p.into_inner()) = Some(hook);
    }

    fn keep(&self, held: Held) -> bool {
        let mut slot = self.lock();
        if slot.generation > slot.taken {
            slot.replaced_untaken += 1;
        }
        let wake = slot.generation == slot.taken;
        let old = slot.sample.replace(held);
        slot.generation += 1;
        slot.delivered += 1;
        drop(slot);
        // A lent frame goes back to its slot outside the lock.
        drop(old);
        wake
    }

    /// Records how many frames the sink has dropped for lateness so far.
    pub(crate) fn set_late(&self, frames: u64) {
        self.late
            .fetch_max(frames, std::sync::atomic::Ordering::Relaxed);
    }

    /// Forgets the frame and the counts (a new file is opened).
    pub(crate) fn clear(&self) {
        let old = std::mem::take(&mut *self.lock());
        drop(old);
        self.late.store(0, std::sync::atomic::Ordering::Relaxed);
        self.dropped_before
            .store(0, std::sync::atomic::Ordering::Relaxed);
        if let Some(hook) = self
            .on_clear
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
        {
            hook();
        }
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
        let (held, generation) = sample;
        let sample = match held {
            Held::Sample(sample) => sample,
            Held::Lent(lent) => return Some((generation, read(lent_view(&lent)?))),
        };
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
                shared: None,
                pixel_aspect: {
                    let par = info.par();
                    (
                        u32::try_from(par.numer()).unwrap_or(1),
                        u32::try_from(par.denom()).unwrap_or(1),
                    )
                },
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
            replaced: slot.replaced_untaken
                + self
                    .dropped_before
                    .load(std::sync::atomic::Ordering::Relaxed),
            late: self.late.load(std::sync::atomic::Ordering::Relaxed),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Slot> {
        self.slot.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The planes of a lent frame, from ranges already checked against its slot.
fn lent_view(lent: &Lent) -> Option<FrameView<'_>> {
    let layout = &lent.layout;
    let shapes = slots::plane_shapes(layout.format, layout.width, layout.height);
    let mut planes = shapes
        .iter()
        .zip(&layout.planes)
        .map(|((rows, _), (offset, stride))| {
            Some(Plane {
                data: lent.slots.plane(layout.slot, *offset, stride * rows)?,
                stride: *stride,
            })
        })
        .collect::<Option<Vec<_>>>()?
        .into_iter();
    let first = planes.next()?;
    let chroma = match (planes.next(), planes.next()) {
        (Some(u), Some(v)) => Some([u, v]),
        _ => None,
    };
    let shared = Shared {
        set: lent.slots.id(),
        slot: layout.slot,
        file: lent.slots.fd(layout.slot)?,
        offset: layout.planes.first()?.0,
    };
    Some(FrameView {
        width: layout.width,
        height: layout.height,
        format: layout.format,
        stride: first.stride,
        data: first.data,
        chroma,
        shared: Some(shared),
        pixel_aspect: (1, 1),
    })
}
