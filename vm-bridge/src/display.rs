//! A VM's screen: the latest frame, what changed since a reader last looked, and the cursor.
//!
//! Backends write (`scanout`, `update`, `draw`), the shell reads (`read_since`). Readers keep
//! their own generation counter, so the full view and a thumbnail each get exactly the
//! damage they have not seen yet, and nobody copies more than what changed.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

/// How pixels are laid out in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PixelFormat {
    /// pixman x8r8g8b8 (QEMU's 0x20020888): bytes B, G, R, X in memory.
    Bgrx8888,
}

impl PixelFormat {
    pub const fn bytes_per_pixel(self) -> usize {
        4
    }
}

/// A rectangle in screen pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rect {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

impl Rect {
    pub const fn new(x: u32, y: u32, width: u32, height: u32) -> Self {
        Rect {
            x,
            y,
            width,
            height,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.width == 0 || self.height == 0
    }

    /// The smallest rectangle holding both.
    pub fn union(&self, other: &Rect) -> Rect {
        if self.is_empty() {
            return *other;
        }
        if other.is_empty() {
            return *self;
        }
        let x = self.x.min(other.x);
        let y = self.y.min(other.y);
        let right = (self.x + self.width).max(other.x + other.width);
        let bottom = (self.y + self.height).max(other.y + other.height);
        Rect::new(x, y, right - x, bottom - y)
    }

    /// The part of the rectangle inside a `width` x `height` screen.
    pub fn clip(&self, width: u32, height: u32) -> Rect {
        let x = self.x.min(width);
        let y = self.y.min(height);
        let right = self.x.saturating_add(self.width).min(width);
        let bottom = self.y.saturating_add(self.height).min(height);
        Rect::new(x, y, right - x, bottom - y)
    }
}

/// Where a frame's bytes live.
#[derive(Clone)]
pub enum Pixels {
    /// Memory of Hearth's own.
    Owned(Vec<u8>),
    /// Memory shared with the VM's display server (QEMU's memfd), read in place.
    Shared {
        map: Arc<memmap2::Mmap>,
        offset: usize,
    },
}

impl std::fmt::Debug for Pixels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Pixels::Owned(bytes) => write!(f, "Owned({} bytes)", bytes.len()),
            Pixels::Shared { map, offset } => write!(f, "Shared({} bytes at {offset})", map.len()),
        }
    }
}

impl PartialEq for Pixels {
    fn eq(&self, other: &Pixels) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for Pixels {}

impl Pixels {
    pub fn as_slice(&self) -> &[u8] {
        match self {
            Pixels::Owned(bytes) => bytes,
            Pixels::Shared { map, offset } => map.get(*offset..).unwrap_or(&[]),
        }
    }

    /// The bytes to write into; None for shared memory, which only its owner writes.
    pub fn as_mut_slice(&mut self) -> Option<&mut [u8]> {
        match self {
            Pixels::Owned(bytes) => Some(bytes),
            Pixels::Shared { .. } => None,
        }
    }
}

impl std::ops::Deref for Pixels {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

/// One frame in memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Surface {
    pub width: u32,
    pub height: u32,
    /// Bytes from the start of one row to the next.
    pub stride: u32,
    pub format: PixelFormat,
    pub pixels: Pixels,
}

impl Surface {
    /// A black surface of the given size with the tightest stride.
    pub fn new(width: u32, height: u32) -> Surface {
        let stride = width * PixelFormat::Bgrx8888.bytes_per_pixel() as u32;
        Surface {
            width,
            height,
            stride,
            format: PixelFormat::Bgrx8888,
            pixels: Pixels::Owned(vec![0; stride as usize * height as usize]),
        }
    }

    /// Whether the pixels cover `height` rows of `stride` bytes (a shared mapping may not).
    pub fn is_complete(&self) -> bool {
        let needed = (self.height as usize).saturating_sub(1) * self.stride as usize
            + self.width as usize * 4;
        self.height == 0 || self.pixels.len() >= needed
    }

    /// This surface enlarged (or cut) to `width` x `height`, keeping what fits.
    pub fn resized(&self, width: u32, height: u32) -> Surface {
        let mut resized = Surface::new(width, height);
        let rows = self.height.min(height) as usize;
        let row_bytes = self.width.min(width) as usize * 4;
        if let Some(target) = resized.pixels.as_mut_slice() {
            for row in 0..rows {
                let source = row * self.stride as usize;
                let Some(source) = self.pixels.get(source..source + row_bytes) else {
                    break;
                };
                let at = row * width as usize * 4;
                target[at..at + row_bytes].copy_from_slice(source);
            }
        }
        resized
    }

    /// The (b, g, r) of a pixel, or None outside the surface.
    pub fn pixel(&self, x: u32, y: u32) -> Option<(u8, u8, u8)> {
        if x >= self.width || y >= self.height {
            return None;
        }
        let offset = y as usize * self.stride as usize + x as usize * 4;
        let bytes = self.pixels.get(offset..offset + 3)?;
        Some((bytes[0], bytes[1], bytes[2]))
    }
}

/// The mouse cursor a guest asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub width: u32,
    pub height: u32,
    pub hot_x: i32,
    pub hot_y: i32,
    /// BGRA, `width * 4` bytes a row.
    pub pixels: Vec<u8>,
}

/// What a reader has to redraw since the generation it last saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Nothing new.
    None,
    /// Only this rectangle changed.
    Region(Rect),
    /// Redraw everything (new size, or the reader is too far behind).
    Full,
}

/// Called after every change, from the thread that made it. It must not block; the shell
/// uses it to schedule one redraw on its own thread.
pub type DisplayObserver = Arc<dyn Fn() + Send + Sync>;

/// How many damage rectangles are remembered for readers that fall behind.
const DAMAGE_HISTORY: usize = 64;

#[derive(Default)]
struct DisplayState {
    surface: Option<Surface>,
    generation: u64,
    /// The generation at which the surface last changed size or appeared.
    scanout_generation: u64,
    damage: VecDeque<(u64, Rect)>,
    cursor: Option<Cursor>,
    cursor_position: Option<(i32, i32)>,
}

/// A VM's screen, shared between the backend that fills it and the shell that shows it.
#[derive(Default)]
pub struct Display {
    state: Mutex<DisplayState>,
    observers: Mutex<Vec<DisplayObserver>>,
}

impl std::fmt::Debug for Display {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.lock();
        f.debug_struct("Display")
            .field("size", &state.surface.as_ref().map(|s| (s.width, s.height)))
            .field("generation", &state.generation)
            .finish()
    }
}

impl Display {
    pub fn new() -> Display {
        Display::default()
    }

    fn lock(&self) -> MutexGuard<'_, DisplayState> {
        // A panic while holding the lock leaves a frame half drawn at worst; keep going.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Adds a callback run after every change.
    pub fn observe(&self, observer: DisplayObserver) {
        self.observers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(observer);
    }

    fn notify(&self) {
        let observers = self
            .observers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        for observer in observers {
            observer();
        }
    }

    /// Replaces the whole frame (a new mode or a first frame).
    pub fn scanout(&self, surface: Surface) {
        {
            let mut state = self.lock();
            state.generation += 1;
            state.scanout_generation = state.generation;
            state.damage.clear();
            state.surface = Some(surface);
        }
        self.notify();
    }

    /// Copies `data` (rows `stride` bytes apart) into `rect` of the current frame, clipped to
    /// it. Without a frame the update is dropped: there is nothing to update.
    pub fn update(&self, rect: Rect, stride: u32, data: &[u8]) {
        self.draw(rect, |surface, clipped| {
            let row_bytes = clipped.width as usize * 4;
            // Rows of `data` start at the rectangle's own corner, even when clipped.
            let skip_x = (clipped.x - rect.x) as usize * 4;
            let skip_y = (clipped.y - rect.y) as usize;
            let surface_stride = surface.stride as usize;
            let Some(pixels) = surface.pixels.as_mut_slice() else {
                return;
            };
            for row in 0..clipped.height as usize {
                let source = (row + skip_y) * stride as usize + skip_x;
                let Some(source) = data.get(source..source + row_bytes) else {
                    break;
                };
                let target = (clipped.y as usize + row) * surface_stride + clipped.x as usize * 4;
                let Some(target) = pixels.get_mut(target..target + row_bytes) else {
                    break;
                };
                target.copy_from_slice(source);
            }
        });
    }

    /// Lets a backend draw into `rect` of the current frame in place, then records it as damage.
    pub fn draw(&self, rect: Rect, paint: impl FnOnce(&mut Surface, Rect)) {
        {
            let mut state = self.lock();
            let Some(surface) = state.surface.as_mut() else {
                return;
            };
            let clipped = rect.clip(surface.width, surface.height);
            if clipped.is_empty() {
                return;
            }
            paint(surface, clipped);
            state.generation += 1;
            let generation = state.generation;
            state.damage.push_back((generation, clipped));
            if state.damage.len() > DAMAGE_HISTORY {
                state.damage.pop_front();
            }
        }
        self.notify();
    }

    /// Records that `rect` changed in shared memory the display reads in place.
    pub fn damage(&self, rect: Rect) {
        self.draw(rect, |_, _| {});
    }

    /// Enlarges or shrinks the frame to the size the VM's console reports, keeping what fits.
    pub fn resize(&self, width: u32, height: u32) {
        {
            let mut state = self.lock();
            let Some(surface) = state.surface.as_ref() else {
                return;
            };
            if (surface.width, surface.height) == (width, height) {
                return;
            }
            let resized = surface.resized(width, height);
            state.generation += 1;
            state.scanout_generation = state.generation;
            state.damage.clear();
            state.surface = Some(resized);
        }
        self.notify();
    }

    /// The guest turned its screen off.
    pub fn disable(&self) {
        {
            let mut state = self.lock();
            if state.surface.is_none() {
                return;
            }
            state.generation += 1;
            state.scanout_generation = state.generation;
            state.damage.clear();
            state.surface = None;
        }
        self.notify();
    }

    pub fn set_cursor(&self, cursor: Option<Cursor>) {
        self.lock().cursor = cursor;
        self.notify();
    }

    pub fn set_cursor_position(&self, position: Option<(i32, i32)>) {
        self.lock().cursor_position = position;
        self.notify();
    }

    pub fn cursor(&self) -> (Option<Cursor>, Option<(i32, i32)>) {
        let state = self.lock();
        (state.cursor.clone(), state.cursor_position)
    }

    /// The generation of the latest change; readers compare it with what they saw.
    pub fn generation(&self) -> u64 {
        self.lock().generation
    }

    /// The current size, if the screen is on.
    pub fn size(&self) -> Option<(u32, u32)> {
        self.lock().surface.as_ref().map(|s| (s.width, s.height))
    }

    /// Runs `read` on the current frame and what changed since `seen`; returns the generation
    /// the reader has now seen. The frame is borrowed, not copied.
    pub fn read_since<R>(
        &self,
        seen: u64,
        read: impl FnOnce(Option<&Surface>, Change) -> R,
    ) -> (u64, R) {
        let state = self.lock();
        let change = if seen == state.generation {
            Change::None
        } else if seen < state.scanout_generation || state.surface.is_none() {
            Change::Full
        } else {
            let oldest_needed = seen + 1;
            let complete = state
                .damage
                .front()
                .is_some_and(|(g, _)| *g <= oldest_needed);
            if complete {
                let region = state
                    .damage
                    .iter()
                    .filter(|(g, _)| *g > seen)
                    .fold(Rect::default(), |acc, (_, rect)| acc.union(rect));
                Change::Region(region)
            } else {
                Change::Full
            }
        };
        let result = read(state.surface.as_ref(), change);
        (state.generation, result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readers_get_exactly_the_damage_they_missed() {
        let display = Display::new();
        display.scanout(Surface::new(100, 50));
        let (first, change) = display.read_since(0, |_, change| change);
        assert_eq!(change, Change::Full);
        display.update(Rect::new(10, 10, 2, 2), 8, &[255; 16]);
        display.update(Rect::new(40, 20, 5, 1), 20, &[255; 20]);
        let (second, change) = display.read_since(first, |_, change| change);
        assert_eq!(change, Change::Region(Rect::new(10, 10, 35, 11)));
        let (_, change) = display.read_since(second, |_, change| change);
        assert_eq!(change, Change::None);
    }

    #[test]
    fn updates_are_clipped_to_the_frame() {
        let display = Display::new();
        display.scanout(Surface::new(4, 4));
        display.update(Rect::new(2, 2, 10, 10), 40, &[7; 400]);
        display.read_since(0, |surface, _| {
            let surface = surface.expect("frame present");
            assert_eq!(surface.pixel(3, 3), Some((7, 7, 7)));
            assert_eq!(surface.pixel(1, 1), Some((0, 0, 0)));
        });
    }

    #[test]
    fn readers_far_behind_redraw_everything() {
        let display = Display::new();
        display.scanout(Surface::new(8, 8));
        let (seen, _) = display.read_since(0, |_, c| c);
        for _ in 0..DAMAGE_HISTORY + 1 {
            display.update(Rect::new(0, 0, 1, 1), 4, &[1; 4]);
        }
        assert_eq!(display.read_since(seen, |_, c| c).1, Change::Full);
    }

    #[test]
    fn a_disabled_screen_has_no_frame() {
        let display = Display::new();
        display.scanout(Surface::new(8, 8));
        display.disable();
        assert_eq!(display.size(), None);
        display.update(Rect::new(0, 0, 1, 1), 4, &[1; 4]);
        assert_eq!(display.size(), None);
    }
}
