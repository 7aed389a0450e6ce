//! Video the X server puts on screen straight from the player process's memory: while nothing
//! covers the video (no controls, no sheet, no banner), each frame goes to a window of its
//! own inside Hearth's, which the server fills from the shared slot the player process
//! converted and scaled the frame into (MIT-SHM with the slot's file). Hearth neither copies
//! nor draws the frame, and Slint redraws nothing while the video plays; as soon as something
//! covers the video, the window goes and Slint draws the frames again.
//!
//! Only for the software renderer under X11 (the GPU path converts on the GPU, and LinuxKMS
//! has no X server); where the server lacks MIT-SHM 1.2 or refuses the file, Slint draws.

use std::collections::HashMap;

use hearth_media::player::{FrameFormat, FrameView, VideoOutput};
use x11rb::connection::{Connection, RequestConnection};
use x11rb::protocol::shm::{self, ConnectionExt as _};
use x11rb::protocol::xproto::{
    ConfigureWindowAux, ConnectionExt as _, CreateGCAux, CreateWindowAux, ImageFormat, ImageOrder,
    WindowClass,
};
use x11rb::rust_connection::RustConnection;

/// Hearth's window as the X server knows it, or None on other backends.
pub fn x11_window(window: &slint::Window) -> Option<u32> {
    use slint::winit_030::WinitWindowAccessor;
    use slint::winit_030::winit::raw_window_handle::{HasWindowHandle, RawWindowHandle};
    window
        .with_winit_window(|winit| match winit.window_handle().ok()?.as_raw() {
            RawWindowHandle::Xlib(handle) => u32::try_from(handle.window).ok(),
            RawWindowHandle::Xcb(handle) => Some(handle.window.get()),
            _ => None,
        })
        .flatten()
}

/// The direct path as the player screen uses it: made on first use, given up for good where
/// the display cannot take it.
#[derive(Default)]
pub enum Direct {
    #[default]
    Untried,
    Unavailable,
    Ready(DirectVideo),
}

impl Direct {
    /// Puts the newest frame on screen through the X server; false when Slint must draw it.
    pub fn present(&mut self, window: &slint::Window, video: &VideoOutput) -> bool {
        if let Direct::Untried = self {
            *self = match x11_window(window).map(DirectVideo::new) {
                Some(Ok(direct)) => {
                    tracing::info!("video goes to the X server straight from the player");
                    Direct::Ready(direct)
                }
                Some(Err(reason)) => {
                    tracing::info!(%reason, "video is drawn by Slint");
                    Direct::Unavailable
                }
                None => Direct::Unavailable,
            };
        }
        let Direct::Ready(direct) = self else {
            return false;
        };
        let size = window.size();
        direct.present(video, size.width, size.height)
    }

    /// Takes the video's window off the screen.
    pub fn hide(&mut self) {
        if let Direct::Ready(direct) = self {
            direct.hide();
        }
    }

    /// Forgets which frame was put last (the player's frames start again at the first).
    pub fn forget(&mut self) {
        if let Direct::Ready(direct) = self {
            direct.seen = 0;
        }
    }

    pub fn shown(&self) -> bool {
        matches!(self, Direct::Ready(direct) if direct.shown())
    }
}

/// A window over the video's rectangle that the X server fills from the shared slots.
pub struct DirectVideo {
    conn: RustConnection,
    window: u32,
    gc: u32,
    depth: u8,
    /// The server's segment for each slot it was handed: (set, slot) to segment.
    segments: HashMap<(u64, usize), u32>,
    /// Where the window is: x, y, width, height in Hearth's window.
    placed: Option<(i16, i16, u16, u16)>,
    shown: bool,
    /// The generation of the last frame put on screen (0: none since shown).
    seen: u64,
    /// The server refused a slot: Slint draws from then on.
    refused: bool,
}

impl DirectVideo {
    /// A window inside `parent`, unmapped; an error where the server cannot take frames from
    /// a file (no MIT-SHM 1.2) or has no 32-bit little-endian pixels for its default depth.
    pub fn new(parent: u32) -> Result<DirectVideo, String> {
        let (conn, screen) = x11rb::connect(None).map_err(|e| format!("no X server: {e}"))?;
        let failed = |what: &str, error: &dyn std::fmt::Display| format!("{what}: {error}");
        if conn
            .extension_information(shm::X11_EXTENSION_NAME)
            .map_err(|e| failed("MIT-SHM", &e))?
            .is_none()
        {
            return Err("the X server has no MIT-SHM".into());
        }
        let version = conn
            .shm_query_version()
            .map_err(|e| failed("MIT-SHM", &e))?
            .reply()
            .map_err(|e| failed("MIT-SHM", &e))?;
        if (version.major_version, version.minor_version) < (1, 2) {
            return Err("the X server's MIT-SHM cannot take files (before 1.2)".into());
        }
        let setup = conn.setup();
        let root = &setup.roots[screen];
        let depth = root.root_depth;
        let fits = setup
            .pixmap_formats
            .iter()
            .any(|format| format.depth == depth && format.bits_per_pixel == 32);
        if !fits || setup.image_byte_order != ImageOrder::LSB_FIRST || depth < 24 {
            return Err(format!("the X server's depth {depth} is not BGRx"));
        }
        let (visual, colormap) = (root.root_visual, root.default_colormap);
        let window = conn.generate_id().map_err(|e| failed("an id", &e))?;
        // No background: the server never clears it, so nothing flashes before a frame.
        conn.create_window(
            depth,
            window,
            parent,
            0,
            0,
            1,
            1,
            0,
            WindowClass::INPUT_OUTPUT,
            visual,
            &CreateWindowAux::new()
                .background_pixmap(x11rb::NONE)
                .border_pixel(0)
                .colormap(colormap),
        )
        .map_err(|e| failed("a window", &e))?
        .check()
        .map_err(|e| failed("a window", &e))?;
        let gc = conn.generate_id().map_err(|e| failed("an id", &e))?;
        conn.create_gc(gc, window, &CreateGCAux::new().graphics_exposures(0))
            .map_err(|e| failed("a graphics context", &e))?;
        Ok(DirectVideo {
            conn,
            window,
            gc,
            depth,
            segments: HashMap::new(),
            placed: None,
            shown: false,
            seen: 0,
            refused: false,
        })
    }

    /// Puts the newest frame on screen, centred in a `width` x `height` window, if it is new.
    /// False when this frame cannot go this way (not from shared memory, not BGRx, not at
    /// the size it is shown at, or the server refused the slot): Slint should draw it.
    pub fn present(&mut self, video: &VideoOutput, width: u32, height: u32) -> bool {
        if self.refused {
            return false;
        }
        let seen = self.seen;
        match video.take_since(seen, |frame| self.put(&frame, width, height)) {
            Some((generation, true)) => {
                self.seen = generation;
                true
            }
            Some((_, false)) => false,
            // Nothing newer: what is on screen stays, if anything is.
            None => self.shown,
        }
    }

    fn put(&mut self, frame: &FrameView<'_>, width: u32, height: u32) -> bool {
        let Some(shared) = frame.shared else {
            return false;
        };
        // As Slint shows it (contain): filling the window one way, within it the other. A
        // frame smaller than that (a small video is never enlarged) is Slint's to scale.
        let fills = frame.width.abs_diff(width) <= 1 || frame.height.abs_diff(height) <= 1;
        let fits = fills && frame.width <= width && frame.height <= height;
        let stride = u16::try_from(frame.stride / 4).ok();
        let size = u16::try_from(frame.width)
            .ok()
            .zip(u16::try_from(frame.height).ok());
        let (Some(total_width), Some((w, h)), true, FrameFormat::Bgrx) =
            (stride, size, fits, frame.format)
        else {
            return false;
        };
        let Some(segment) = self.segment(shared.set, shared.slot, shared.file) else {
            return false;
        };
        let x = ((width - frame.width) / 2) as i16;
        let y = ((height - frame.height) / 2) as i16;
        let place = (x, y, w, h);
        if self.placed != Some(place) {
            let moved = self.conn.configure_window(
                self.window,
                &ConfigureWindowAux::new()
                    .x(i32::from(x))
                    .y(i32::from(y))
                    .width(u32::from(w))
                    .height(u32::from(h)),
            );
            if moved.is_err() {
                return false;
            }
            self.placed = Some(place);
        }
        if !self.shown {
            if self.conn.map_window(self.window).is_err() {
                return false;
            }
            self.shown = true;
            tracing::info!(
                width = w,
                height = h,
                "video: the X server puts the frames on screen"
            );
        }
        let offset = u32::try_from(shared.offset).unwrap_or(u32::MAX);
        let put = self.conn.shm_put_image(
            self.window,
            self.gc,
            total_width,
            h,
            0,
            0,
            w,
            h,
            0,
            0,
            self.depth,
            ImageFormat::Z_PIXMAP.into(),
            false,
            segment,
            offset,
        );
        // The slot goes back to the player process once a newer frame replaces this one;
        // the server must have read it by then, so this waits for it (a local round trip).
        put.is_ok() && self.sync()
    }

    /// The server's segment for a slot, handing it the slot's file the first time; segments
    /// of an earlier player process's slots are let go.
    fn segment(&mut self, set: u64, slot: usize, file: std::os::fd::BorrowedFd<'_>) -> Option<u32> {
        if let Some(segment) = self.segments.get(&(set, slot)) {
            return Some(*segment);
        }
        let conn = &self.conn;
        self.segments.retain(|(old, _), segment| {
            let current = *old == set;
            if !current {
                let _ = conn.shm_detach(*segment);
            }
            current
        });
        let segment = self.conn.generate_id().ok()?;
        let file = file.try_clone_to_owned().ok()?;
        let attached = self.conn.shm_attach_fd(segment, file, true).ok()?.check();
        if let Err(error) = attached {
            tracing::warn!(%error, "the X server refused the player's frames; Slint draws them");
            self.refused = true;
            return None;
        }
        self.segments.insert((set, slot), segment);
        Some(segment)
    }

    fn sync(&self) -> bool {
        self.conn
            .get_input_focus()
            .ok()
            .and_then(|cookie| cookie.reply().ok())
            .is_some()
    }

    /// Takes the window off the screen (Slint draws the video again); the next present puts
    /// the newest frame back at once.
    pub fn hide(&mut self) {
        if self.shown {
            let _ = self.conn.unmap_window(self.window);
            let _ = self.conn.flush();
            self.shown = false;
            tracing::info!("video: Slint draws the frames");
        }
        self.seen = 0;
    }

    pub fn shown(&self) -> bool {
        self.shown
    }
}

impl Drop for DirectVideo {
    fn drop(&mut self) {
        let _ = self.conn.destroy_window(self.window);
        for segment in self.segments.values() {
            let _ = self.conn.shm_detach(*segment);
        }
        let _ = self.conn.free_gc(self.gc);
        let _ = self.conn.flush();
    }
}
