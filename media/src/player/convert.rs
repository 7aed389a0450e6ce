//! Frames for the CPU path, made in the player process: the decoder's I420 scaled plane by
//! plane to the size it is shown at (SIMD bilinear, `fast_image_resize`), then converted to
//! BGRx (SIMD, `yuvutils-rs`) straight into the shared slot Hearth reads: one pass over the
//! output and no copy after it.

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use yuvutils_rs::{YuvPlanarImage, YuvRange, YuvStandardMatrix};

use super::{FrameFormat, FrameView};

/// The size a `width` x `height` frame with pixels `aspect` (width:height) wide is shown at
/// within `bound`: its shape kept, never larger than it is (square pixels).
pub(crate) fn fit(
    width: u32,
    height: u32,
    aspect: (u32, u32),
    bound: Option<(u32, u32)>,
) -> (u32, u32) {
    let (numerator, denominator) = (aspect.0.max(1) as f64, aspect.1.max(1) as f64);
    let shown_width = width as f64 * numerator / denominator;
    let shown_height = height as f64;
    let scale = match bound {
        Some((bound_width, bound_height)) if bound_width > 0 && bound_height > 0 => {
            (bound_width as f64 / shown_width)
                .min(bound_height as f64 / shown_height)
                .min(1.0)
        }
        _ => 1.0,
    };
    let side = |length: f64| ((length * scale).round() as u32).max(1);
    (side(shown_width), side(shown_height))
}

/// Scales and converts frames; keeps its scratch planes between frames.
#[derive(Default)]
pub(crate) struct Converter {
    resizer: Resizer,
    planes: [Option<Image<'static>>; 3],
}

impl Converter {
    /// Writes `frame` (I420) into `slot` as BGRx at `width` x `height`, rows of `width * 4`
    /// bytes; false when the frame is not I420 or does not fit the slot.
    pub(crate) fn convert(
        &mut self,
        frame: &FrameView<'_>,
        (width, height): (u32, u32),
        slot: &mut [u8],
    ) -> bool {
        let (FrameFormat::I420 { bt709, full_range }, Some([u, v])) = (frame.format, frame.chroma)
        else {
            return false;
        };
        let stride = width as usize * 4;
        let Some(target) = slot.get_mut(..stride * height as usize) else {
            return false;
        };
        let range = if full_range {
            YuvRange::Full
        } else {
            YuvRange::Limited
        };
        let matrix = if bt709 {
            YuvStandardMatrix::Bt709
        } else {
            YuvStandardMatrix::Bt601
        };
        let as_is = (width, height) == (frame.width, frame.height);
        let planes = if as_is {
            [
                (frame.data, frame.stride),
                (u.data, u.stride),
                (v.data, v.stride),
            ]
        } else {
            let sizes = [
                (frame.width, frame.height, width, height),
                (
                    frame.width.div_ceil(2),
                    frame.height.div_ceil(2),
                    width.div_ceil(2),
                    height.div_ceil(2),
                ),
            ];
            let sources = [
                (frame.data, frame.stride, sizes[0]),
                (u.data, u.stride, sizes[1]),
                (v.data, v.stride, sizes[1]),
            ];
            let options =
                ResizeOptions::new().resize_alg(ResizeAlg::Interpolation(FilterType::Bilinear));
            for (index, (data, stride, (from_width, from_height, to_width, to_height))) in
                sources.into_iter().enumerate()
            {
                let scratch = &mut self.planes[index];
                if scratch
                    .as_ref()
                    .is_none_or(|image| (image.width(), image.height()) != (to_width, to_height))
                {
                    *scratch = Some(Image::new(to_width, to_height, PixelType::U8));
                }
                let Some(scratch) = scratch.as_mut() else {
                    return false;
                };
                // The source's padding is left out by cropping a stride-wide view.
                let Ok(source) = u32::try_from(stride).map_err(|_| ()).and_then(|stride| {
                    let rows = data.len() / stride.max(1) as usize;
                    ImageRef::new(stride, rows as u32, data, PixelType::U8).map_err(|_| ())
                }) else {
                    return false;
                };
                let cropped = options.crop(0.0, 0.0, from_width as f64, from_height as f64);
                if self.resizer.resize(&source, scratch, &cropped).is_err() {
                    return false;
                }
            }
            let [Some(y), Some(u), Some(v)] = &self.planes else {
                return false;
            };
            [
                (y.buffer(), width as usize),
                (u.buffer(), width.div_ceil(2) as usize),
                (v.buffer(), width.div_ceil(2) as usize),
            ]
        };
        let image = YuvPlanarImage {
            y_plane: planes[0].0,
            y_stride: planes[0].1 as u32,
            u_plane: planes[1].0,
            u_stride: planes[1].1 as u32,
            v_plane: planes[2].0,
            v_stride: planes[2].1 as u32,
            width,
            height,
        };
        yuvutils_rs::yuv420_to_bgra(&image, target, stride as u32, range, matrix).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::player::Plane;

    #[test]
    fn frames_fit_their_box_in_square_pixels_and_are_never_enlarged() {
        assert_eq!(fit(1920, 1080, (1, 1), Some((1280, 800))), (1280, 720));
        assert_eq!(fit(640, 360, (1, 1), Some((1280, 800))), (640, 360));
        // Anamorphic 720x576 at 16:11 pixels: 1047x576 as shown.
        assert_eq!(fit(720, 576, (16, 11), None), (1047, 576));
        assert_eq!(fit(720, 576, (16, 11), Some((800, 480))), (800, 440));
    }

    /// One-colour I420 (limited range BT.601) of #3366cc: Y 100, U 180, V 98.
    fn blue(height: u32, stride: usize) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
        let chroma = (stride / 2) * height.div_ceil(2) as usize;
        (
            vec![100; stride * height as usize],
            vec![180; chroma],
            vec![98; chroma],
        )
    }

    #[test]
    fn a_frame_is_scaled_and_converted_into_the_slot() {
        for (width, height, stride, to) in [(64, 48, 64, (64, 48)), (64, 48, 96, (32, 24))] {
            let (y, u, v) = blue(height, stride);
            let frame = FrameView {
                width,
                height,
                format: FrameFormat::I420 {
                    bt709: false,
                    full_range: false,
                },
                stride,
                data: &y,
                chroma: Some([
                    Plane {
                        data: &u,
                        stride: stride / 2,
                    },
                    Plane {
                        data: &v,
                        stride: stride / 2,
                    },
                ]),
                shared: None,
                pixel_aspect: (1, 1),
            };
            let mut slot = vec![0u8; 64 * 48 * 4];
            assert!(Converter::default().convert(&frame, to, &mut slot));
            let pixels = (to.0 * to.1) as usize;
            for pixel in slot[..pixels * 4].chunks_exact(4) {
                let (b, g, r) = (pixel[0], pixel[1], pixel[2]);
                assert!(
                    r.abs_diff(0x33) <= 6 && g.abs_diff(0x66) <= 6 && b.abs_diff(0xcc) <= 6,
                    "{r} {g} {b} at {to:?}"
                );
            }
            assert!(
                slot[pixels * 4..].iter().all(|byte| *byte == 0),
                "past the frame"
            );
        }
    }
}
