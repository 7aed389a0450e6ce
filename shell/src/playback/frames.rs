//! The player's video frames as Slint images: each new frame is copied once, row by row
//! (the decoder's stride honoured), into one of two alternating pixel buffers, so the
//! buffer written is never the one the renderer holds.

use hearth_media::player::VideoOutput;
use slint::{Image, Rgba8Pixel, SharedPixelBuffer};

#[derive(Default)]
pub struct VideoFrames {
    buffers: [Option<SharedPixelBuffer<Rgba8Pixel>>; 2],
    next: usize,
    seen: u64,
}

impl VideoFrames {
    /// The newest frame as an image, if one came since the last call.
    pub fn present(&mut self, video: &VideoOutput) -> Option<Image> {
        let slot = self.next;
        let buffers = &mut self.buffers;
        let (generation, image) = video.take_since(self.seen, |frame| {
            let fits = buffers[slot]
                .as_ref()
                .is_some_and(|b| b.width() == frame.width && b.height() == frame.height);
            if !fits {
                buffers[slot] = Some(SharedPixelBuffer::new(frame.width, frame.height));
            }
            let buffer = buffers[slot].as_mut()?;
            let row = frame.width as usize * 4;
            let bytes = buffer.make_mut_bytes();
            for (y, target) in bytes.chunks_exact_mut(row).enumerate() {
                let start = y * frame.stride;
                target.copy_from_slice(frame.data.get(start..start + row)?);
            }
            Some(Image::from_rgba8(buffer.clone()))
        })?;
        self.seen = generation;
        self.next = 1 - slot;
        image
    }

    /// Forgets the buffers and what was seen (the player closed or opened a new file).
    pub fn reset(&mut self) {
        *self = VideoFrames::default();
    }
}
