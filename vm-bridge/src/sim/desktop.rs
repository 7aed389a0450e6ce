//! Draws a simulated VM's desktop: the VM's name, a clock and an echo of the input it got.
//!
//! Everything that changes is repainted only inside the rectangles that changed, background
//! included, so a keystroke costs a few thousand pixels and no second full-screen copy of the
//! background is kept.

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};

use crate::{Rect, Surface, VmRole};

static REGULAR: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../assets/fonts/DejaVuSans.ttf"
));
static BOLD: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../assets/fonts/DejaVuSans-Bold.ttf"
));

/// What the live parts of the desktop show.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EchoState {
    pub clock: String,
    pub typed: String,
    pub keys_received: u64,
    pub pointer: Option<(u32, u32)>,
    pub buttons: String,
    pub touches: Vec<(u32, f64, f64)>,
}

/// The fixed layout of a desktop of a given size.
pub struct Desktop {
    width: u32,
    height: u32,
    name: String,
    role: VmRole,
    regular: FontRef<'static>,
    bold: FontRef<'static>,
    shown: EchoState,
}

const MARKER_RADIUS: u32 = 18;

impl Desktop {
    pub fn new(name: &str, role: VmRole, width: u32, height: u32) -> Desktop {
        // The fonts are part of the binary; failing to parse them is a build defect.
        let regular = FontRef::try_from_slice(REGULAR).expect("bundled regular font parses");
        let bold = FontRef::try_from_slice(BOLD).expect("bundled bold font parses");
        Desktop {
            width,
            height,
            name: name.to_string(),
            role,
            regular,
            bold,
            shown: EchoState::default(),
        }
    }

    /// Paints the static part (gradient, top bar, name) inside `clip`.
    fn paint_background(&self, surface: &mut Surface, clip: Rect) {
        let (top, bottom) = role_gradient(self.role);
        let height = self.height.max(1);
        let stride = surface.stride as usize;
        if let Some(pixels) = surface.pixels.as_mut_slice() {
            for y in clip.y..clip.y + clip.height {
                let colour = mix(top, bottom, y as f32 / height as f32);
                let bgrx = [colour.2, colour.1, colour.0, 255];
                let row = y as usize * stride;
                let start = row + clip.x as usize * 4;
                let end = start + clip.width as usize * 4;
                for pixel in pixels[start..end].chunks_exact_mut(4) {
                    pixel.copy_from_slice(&bgrx);
                }
            }
        }
        let bar = self.top_bar();
        fill(surface, clip, bar, (0, 0, 0), 0.35);
        let name = self.name.as_str();
        let title_size = (self.height as f32 / 9.0).max(24.0);
        let title_width = text_width(&self.bold, title_size, name);
        let x = (self.width as f32 - title_width) / 2.0;
        let baseline = self.height as f32 * 0.36;
        draw_text(
            surface,
            clip,
            &self.bold,
            title_size,
            x,
            baseline,
            name,
            (255, 255, 255),
        );
        let subtitle = "Simulated desktop";
        let size = title_size * 0.3;
        let x = (self.width as f32 - text_width(&self.regular, size, subtitle)) / 2.0;
        draw_text(
            surface,
            clip,
            &self.regular,
            size,
            x,
            baseline + size * 1.8,
            subtitle,
            (230, 230, 240),
        );
        let bar_label_size = bar.height as f32 * 0.45;
        draw_text(
            surface,
            clip,
            &self.bold,
            bar_label_size,
            16.0,
            bar.height as f32 * 0.66,
            name,
            (255, 255, 255),
        );
    }

    fn top_bar(&self) -> Rect {
        Rect::new(0, 0, self.width, (self.height / 16).max(24))
    }

    fn clock_rect(&self) -> Rect {
        let bar = self.top_bar();
        let width = (bar.height * 4).min(self.width);
        Rect::new(self.width - width, 0, width, bar.height)
    }

    fn echo_rect(&self) -> Rect {
        let line = self.echo_line_height();
        let top = (self.height as f32 * 0.55) as u32;
        let margin = self.width / 10;
        Rect::new(
            margin,
            top,
            self.width - 2 * margin,
            (line * 4.0) as u32 + 8,
        )
        .clip(self.width, self.height)
    }

    fn echo_line_height(&self) -> f32 {
        (self.height as f32 / 24.0).max(14.0)
    }

    /// A fresh frame showing `state`.
    pub fn render(&mut self, state: &EchoState) -> Surface {
        let mut surface = Surface::new(self.width, self.height);
        let full = Rect::new(0, 0, self.width, self.height);
        self.paint_background(&mut surface, full);
        self.paint_live(&mut surface, full, state);
        self.shown = state.clone();
        surface
    }

    /// Repaints what differs between the frame last drawn and `state`; returns the rectangles
    /// that changed, for the caller to paint with [`Desktop::repaint`].
    pub fn changed_regions(&self, state: &EchoState) -> Vec<Rect> {
        let mut regions = Vec::new();
        if state.clock != self.shown.clock {
            regions.push(self.clock_rect());
        }
        if state.typed != self.shown.typed
            || state.keys_received != self.shown.keys_received
            || state.buttons != self.shown.buttons
            || state.pointer != self.shown.pointer
            || state.touches.len() != self.shown.touches.len()
        {
            regions.push(self.echo_rect());
        }
        let old_markers = self.marker_rects(&self.shown);
        let new_markers = self.marker_rects(state);
        if old_markers != new_markers {
            regions.extend(old_markers);
            regions.extend(new_markers);
        }
        regions
    }

    /// Repaints `rect` of `surface` to show `state`.
    pub fn repaint(&self, surface: &mut Surface, rect: Rect, state: &EchoState) {
        let rect = rect.clip(self.width, self.height);
        self.paint_background(surface, rect);
        self.paint_live(surface, rect, state);
    }

    /// Remembers `state` as what the frame now shows.
    pub fn mark_shown(&mut self, state: &EchoState) {
        self.shown = state.clone();
    }

    fn paint_live(&self, surface: &mut Surface, clip: Rect, state: &EchoState) {
        let clock = self.clock_rect();
        if intersects(clip, clock) {
            let size = clock.height as f32 * 0.45;
            let x = (clock.x + clock.width) as f32
                - text_width(&self.regular, size, &state.clock)
                - 16.0;
            draw_text(
                surface,
                clip,
                &self.regular,
                size,
                x,
                clock.height as f32 * 0.66,
                &state.clock,
                (255, 255, 255),
            );
        }
        let echo = self.echo_rect();
        if intersects(clip, echo) {
            fill(surface, clip, echo, (0, 0, 0), 0.30);
            let line = self.echo_line_height();
            let size = line * 0.62;
            let x = echo.x as f32 + 16.0;
            let typed = format!("Typed: {}", visible_tail(&state.typed, 48));
            let keys = format!("Keys received: {}", state.keys_received);
            let pointer = match state.pointer {
                Some((px, py)) => format!("Pointer: {px}, {py}  {}", state.buttons),
                None => "Pointer: none".to_string(),
            };
            let touches = format!("Touch points: {}", state.touches.len());
            for (index, text) in [typed, keys, pointer, touches].iter().enumerate() {
                let baseline = echo.y as f32 + line * (index as f32 + 0.8) + 4.0;
                draw_text(
                    surface,
                    clip,
                    &self.regular,
                    size,
                    x,
                    baseline,
                    text,
                    (255, 255, 255),
                );
            }
        }
        for marker in self.marker_rects(state) {
            if intersects(clip, marker) {
                ring(surface, clip, marker, (255, 255, 255));
            }
        }
    }

    fn marker_rects(&self, state: &EchoState) -> Vec<Rect> {
        let diameter = MARKER_RADIUS * 2;
        let around = |x: f64, y: f64| {
            let x = (x.max(0.0) as u32).saturating_sub(MARKER_RADIUS);
            let y = (y.max(0.0) as u32).saturating_sub(MARKER_RADIUS);
            Rect::new(x, y, diameter, diameter).clip(self.width, self.height)
        };
        let mut rects: Vec<Rect> = state
            .touches
            .iter()
            .map(|&(_, x, y)| around(x, y))
            .collect();
        if let Some((x, y)) = state.pointer {
            rects.push(around(x as f64, y as f64));
        }
        rects
    }
}

fn role_gradient(role: VmRole) -> ((u8, u8, u8), (u8, u8, u8)) {
    match role {
        VmRole::Work => ((31, 78, 160), (12, 30, 72)),
        VmRole::Personal => ((196, 98, 45), (92, 36, 60)),
        VmRole::Other => ((104, 70, 160), (40, 28, 72)),
    }
}

fn mix(a: (u8, u8, u8), b: (u8, u8, u8), t: f32) -> (u8, u8, u8) {
    let channel = |a: u8, b: u8| (a as f32 + (b as f32 - a as f32) * t).round() as u8;
    (channel(a.0, b.0), channel(a.1, b.1), channel(a.2, b.2))
}

fn intersects(a: Rect, b: Rect) -> bool {
    a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height
}

fn visible_tail(text: &str, characters: usize) -> String {
    let count = text.chars().count();
    text.chars()
        .skip(count.saturating_sub(characters))
        .collect()
}

fn blend_pixel(surface: &mut Surface, x: u32, y: u32, colour: (u8, u8, u8), alpha: f32) {
    let at = y as usize * surface.stride as usize + x as usize * 4;
    let Some(pixel) = surface
        .pixels
        .as_mut_slice()
        .and_then(|p| p.get_mut(at..at + 3))
    else {
        return;
    };
    let blend = |dst: u8, src: u8| (dst as f32 + (src as f32 - dst as f32) * alpha).round() as u8;
    pixel[0] = blend(pixel[0], colour.2);
    pixel[1] = blend(pixel[1], colour.1);
    pixel[2] = blend(pixel[2], colour.0);
}

fn fill(surface: &mut Surface, clip: Rect, rect: Rect, colour: (u8, u8, u8), alpha: f32) {
    let x0 = rect.x.max(clip.x);
    let y0 = rect.y.max(clip.y);
    let x1 = (rect.x + rect.width).min(clip.x + clip.width);
    let y1 = (rect.y + rect.height).min(clip.y + clip.height);
    for y in y0..y1 {
        for x in x0..x1 {
            blend_pixel(surface, x, y, colour, alpha);
        }
    }
}

fn ring(surface: &mut Surface, clip: Rect, rect: Rect, colour: (u8, u8, u8)) {
    let radius = MARKER_RADIUS as f32 - 2.0;
    let cx = rect.x as f32 + rect.width as f32 / 2.0;
    let cy = rect.y as f32 + rect.height as f32 / 2.0;
    for y in rect.y.max(clip.y)..(rect.y + rect.height).min(clip.y + clip.height) {
        for x in rect.x.max(clip.x)..(rect.x + rect.width).min(clip.x + clip.width) {
            let distance = ((x as f32 + 0.5 - cx).powi(2) + (y as f32 + 0.5 - cy).powi(2)).sqrt();
            let coverage = (1.5 - (distance - radius).abs()).clamp(0.0, 1.0);
            if coverage > 0.0 {
                blend_pixel(surface, x, y, colour, coverage);
            }
        }
    }
}

fn text_width(font: &FontRef<'static>, size: f32, text: &str) -> f32 {
    let scaled = font.as_scaled(PxScale::from(size));
    text.chars()
        .map(|c| scaled.h_advance(scaled.glyph_id(c)))
        .sum()
}

#[allow(clippy::too_many_arguments)]
fn draw_text(
    surface: &mut Surface,
    clip: Rect,
    font: &FontRef<'static>,
    size: f32,
    x: f32,
    baseline: f32,
    text: &str,
    colour: (u8, u8, u8),
) {
    let scaled = font.as_scaled(PxScale::from(size));
    let mut caret = x;
    for character in text.chars() {
        let id = scaled.glyph_id(character);
        let glyph = id.with_scale_and_position(size, point(caret, baseline));
        caret += scaled.h_advance(id);
        let Some(outlined) = font.outline_glyph(glyph) else {
            continue;
        };
        let bounds = outlined.px_bounds();
        outlined.draw(|gx, gy, coverage| {
            let px = bounds.min.x as i64 + gx as i64;
            let py = bounds.min.y as i64 + gy as i64;
            let inside = px >= clip.x as i64
                && py >= clip.y as i64
                && px < (clip.x + clip.width) as i64
                && py < (clip.y + clip.height) as i64;
            if inside && coverage > 0.0 {
                blend_pixel(surface, px as u32, py as u32, colour, coverage.min(1.0));
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pixels(surface: &Surface) -> &[u8] {
        match &surface.pixels {
            crate::Pixels::Owned(bytes) => bytes,
            _ => panic!("a drawn surface owns its pixels"),
        }
    }

    #[test]
    fn repainting_what_changed_gives_the_frame_drawn_afresh() {
        let mut desktop = Desktop::new("Work", VmRole::Work, 640, 400);
        let before = EchoState {
            clock: "09:41".into(),
            typed: "hello".into(),
            keys_received: 5,
            pointer: Some((20, 30)),
            ..EchoState::default()
        };
        let after = EchoState {
            clock: "09:42".into(),
            typed: "hello world".into(),
            keys_received: 11,
            pointer: Some((320, 100)),
            buttons: "left".into(),
            touches: vec![(1, 0.5, 0.25)],
        };
        let mut surface = desktop.render(&before);
        for region in desktop.changed_regions(&after) {
            let region = region.clip(640, 400);
            desktop.repaint(&mut surface, region, &after);
        }
        desktop.mark_shown(&after);
        let fresh = Desktop::new("Work", VmRole::Work, 640, 400).render(&after);
        assert!(
            pixels(&surface) == pixels(&fresh),
            "the repainted frame differs"
        );
        assert_ne!(
            pixels(&fresh),
            pixels(&Desktop::new("Work", VmRole::Work, 640, 400).render(&before))
        );
    }
}
