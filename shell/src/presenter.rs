//! Turns VM displays into Slint images: the focused VM at full size, damage only, and small
//! thumbnails for the home screen.

use hearth_vm_bridge::{Change, Display, PixelFormat, Rect, Surface};
use slint::{Image, Rgba8Pixel, SharedPixelBuffer};

/// A frame converted for Slint. Two buffers alternate so the one being written is never the
/// one the renderer holds, which would force a copy of the whole frame.
#[derive(Default)]
pub struct FramePresenter {
    buffers: [Option<(SharedPixelBuffer<Rgba8Pixel>, u64)>; 2],
    next: usize,
}

impl FramePresenter {
    /// Brings the next buffer up to date with `display` and returns it as an image, or None
    /// when the screen is off. `force` redraws even when nothing changed (a new VM is shown).
    pub fn present(&mut self, display: &Display, force: bool) -> Option<Image> {
        let slot = self.next;
        let (seen, missing) = match &self.buffers[slot] {
            Some((_, seen)) => (*seen, false),
            None => (0, true),
        };
        if !force && !missing && display.generation() == self.latest_seen() {
            return None;
        }
        let buffers = &mut self.buffers;
        let (generation, image) = display.read_since(seen, |surface, change| {
            let surface = surface?;
            let entry = &mut buffers[slot];
            let size_matches = entry
                .as_ref()
                .is_some_and(|(b, _)| b.width() == surface.width && b.height() == surface.height);
            let region = match change {
                _ if !size_matches => Rect::new(0, 0, surface.width, surface.height),
                Change::Full => Rect::new(0, 0, surface.width, surface.height),
                Change::Region(rect) => rect,
                Change::None => Rect::default(),
            };
            if !size_matches {
                *entry = Some((SharedPixelBuffer::new(surface.width, surface.height), 0));
            }
            let (buffer, _) = entry.as_mut()?;
            copy_region(surface, buffer, region);
            Some(Image::from_rgba8(buffer.clone()))
        });
        match image {
            Some(image) => {
                if let Some((_, seen)) = &mut self.buffers[slot] {
                    *seen = generation;
                }
                self.next = 1 - slot;
                Some(image)
            }
            None => {
                self.buffers = [None, None];
                None
            }
        }
    }

    fn latest_seen(&self) -> u64 {
        self.buffers
            .iter()
            .flatten()
            .map(|(_, seen)| *seen)
            .max()
            .unwrap_or(0)
    }

    /// Forgets the buffers (the VM is no longer shown), freeing their memory.
    pub fn reset(&mut self) {
        self.buffers = [None, None];
    }
}

/// Copies `region` of a BGRX surface into an RGBA buffer, swapping channels.
pub fn copy_region(surface: &Surface, buffer: &mut SharedPixelBuffer<Rgba8Pixel>, region: Rect) {
    let PixelFormat::Bgrx8888 = surface.format;
    let region = region.clip(
        surface.width.min(buffer.width()),
        surface.height.min(buffer.height()),
    );
    let buffer_width = buffer.width() as usize;
    let target = buffer.make_mut_bytes();
    for row in region.y as usize..(region.y + region.height) as usize {
        let source_start = row * surface.stride as usize + region.x as usize * 4;
        let source = &surface.pixels[source_start..source_start + region.width as usize * 4];
        let target_start = (row * buffer_width + region.x as usize) * 4;
        let target = &mut target[target_start..target_start + region.width as usize * 4];
        swizzle_row(source, target);
    }
}

/// BGRX to RGBA for one row, a whole pixel at a time as a `u32` so the compiler vectorises
/// it (about memcpy speed); byte by byte where the memory is not 4-byte aligned.
fn swizzle_row(source: &[u8], target: &mut [u8]) {
    if let (Ok(source), Ok(target)) = (
        bytemuck::try_cast_slice::<u8, u32>(source),
        bytemuck::try_cast_slice_mut::<u8, u32>(target),
    ) {
        for (out, &bgrx) in target.iter_mut().zip(source) {
            let bgrx = u32::from_le(bgrx);
            let rgba =
                0xff00_0000 | (bgrx & 0x0000_ff00) | ((bgrx >> 16) & 0xff) | ((bgrx & 0xff) << 16);
            *out = rgba.to_le();
        }
        return;
    }
    for (out, pixel) in target.chunks_exact_mut(4).zip(source.chunks_exact(4)) {
        let bgrx = u32::from_le_bytes([pixel[0], pixel[1], pixel[2], pixel[3]]);
        let rgba =
            0xff00_0000 | (bgrx & 0x0000_ff00) | ((bgrx >> 16) & 0xff) | ((bgrx & 0xff) << 16);
        out.copy_from_slice(&rgba.to_le_bytes());
    }
}

/// The width of home-screen thumbnails, in pixels.
pub const THUMBNAIL_WIDTH: u32 = 640;

/// A small copy of the current frame, or None when the screen is off.
pub fn thumbnail(display: &Display) -> Option<Image> {
    display
        .read_since(0, |surface, _| {
            let surface = surface?;
            let width = THUMBNAIL_WIDTH.min(surface.width).max(1);
            let height = ((surface.height as u64 * width as u64) / surface.width.max(1) as u64)
                .max(1) as u32;
            let mut buffer = SharedPixelBuffer::<Rgba8Pixel>::new(width, height);
            let pixels = buffer.make_mut_slice();
            // Averages a 2x2 sample inside each target pixel's footprint: smooth enough for
            // text at this size and cheap enough to run several times a second.
            for y in 0..height {
                let sy = (y as u64 * surface.height as u64 / height as u64) as u32;
                let sy2 = (sy + 1).min(surface.height - 1);
                for x in 0..width {
                    let sx = (x as u64 * surface.width as u64 / width as u64) as u32;
                    let sx2 = (sx + 1).min(surface.width - 1);
                    let mut sum = [0u32; 3];
                    for (px, py) in [(sx, sy), (sx2, sy), (sx, sy2), (sx2, sy2)] {
                        let (b, g, r) = surface.pixel(px, py).unwrap_or((0, 0, 0));
                        sum[0] += r as u32;
                        sum[1] += g as u32;
                        sum[2] += b as u32;
                    }
                    pixels[(y * width + x) as usize] = Rgba8Pixel {
                        r: (sum[0] / 4) as u8,
                        g: (sum[1] / 4) as u8,
                        b: (sum[2] / 4) as u8,
                        a: 255,
                    };
                }
            }
            Some(Image::from_rgba8(buffer))
        })
        .1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swizzling_swaps_blue_and_red_and_makes_pixels_opaque() {
        let source = [1u8, 2, 3, 0, 10, 20, 30, 99];
        let mut target = [0u8; 8];
        swizzle_row(&source, &mut target);
        assert_eq!(target, [3, 2, 1, 255, 30, 20, 10, 255]);
    }
}
