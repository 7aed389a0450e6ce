//! The player's video frames as Slint images: each new frame is copied once, row by row
//! (the decoder's stride honoured), BGRx to RGBA on the way, into one of two alternating
//! pixel buffers, so the buffer written is never the one the renderer holds.

use hearth_media::player::{VideoFormat, VideoOutput};
use slint::{Image, Rgba8Pixel, SharedPixelBuffer};

/// How frames reach the screen: copied by the CPU, or converted by the GPU (with the wgpu
/// renderer).
pub enum VideoFrames {
    Cpu(CpuFrames),
    #[cfg(feature = "wgpu")]
    Gpu(Box<super::gpu::GpuVideo>),
}

impl Default for VideoFrames {
    fn default() -> VideoFrames {
        VideoFrames::Cpu(CpuFrames::default())
    }
}

impl VideoFrames {
    /// The newest frame as an image, if one came since the last call.
    pub fn present(&mut self, video: &VideoOutput) -> Option<Image> {
        match self {
            VideoFrames::Cpu(frames) => frames.present(video),
            #[cfg(feature = "wgpu")]
            VideoFrames::Gpu(frames) => frames.present(video),
        }
    }

    /// Forgets the frames and what was seen (the player closed or opened a new file).
    pub fn reset(&mut self) {
        match self {
            VideoFrames::Cpu(frames) => *frames = CpuFrames::default(),
            #[cfg(feature = "wgpu")]
            VideoFrames::Gpu(frames) => frames.reset(),
        }
    }

    /// Whether frames are copied by the CPU (the software renderer's path).
    pub fn on_cpu(&self) -> bool {
        matches!(self, VideoFrames::Cpu(_))
    }

    /// What the player should hand over for this path.
    pub fn format(&self) -> VideoFormat {
        match self {
            VideoFrames::Cpu(_) => VideoFormat::Bgrx,
            #[cfg(feature = "wgpu")]
            VideoFrames::Gpu(_) => VideoFormat::I420,
        }
    }
}

#[derive(Default)]
pub struct CpuFrames {
    buffers: [Option<SharedPixelBuffer<Rgba8Pixel>>; 2],
    next: usize,
    seen: u64,
}

impl CpuFrames {
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
                bgrx_to_rgba(frame.data.get(start..start + row)?, target);
            }
            Some(Image::from_rgba8(buffer.clone()))
        })?;
        self.seen = generation;
        self.next = 1 - slot;
        image
    }
}

/// One row of BGRx pixels as RGBA, a `u32` at a time (about memcpy speed).
fn bgrx_to_rgba(source: &[u8], target: &mut [u8]) {
    for (from, to) in source.chunks_exact(4).zip(target.chunks_exact_mut(4)) {
        let pixel = u32::from_le_bytes([from[0], from[1], from[2], from[3]]);
        let rgba = ((pixel & 0xff) << 16) | (pixel & 0xff00) | ((pixel >> 16) & 0xff) | 0xff00_0000;
        to.copy_from_slice(&rgba.to_le_bytes());
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn bgrx_becomes_opaque_rgba() {
        let mut target = [0u8; 8];
        super::bgrx_to_rgba(&[10, 20, 30, 0, 1, 2, 3, 99], &mut target);
        assert_eq!(target, [30, 20, 10, 255, 3, 2, 1, 255]);
    }
}
