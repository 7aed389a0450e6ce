//! The listener Hearth registers with a QEMU console: QEMU calls it with every frame update.
//! With `org.qemu.Display1.Listener.Unix.Map` the frame lives in shared memory that QEMU
//! writes and Hearth reads in place; updates then carry only the damaged rectangle.

use std::sync::Arc;

use zbus::interface;
use zbus::zvariant::OwnedFd;

use super::proxies::ConsoleProxy;
use crate::display::Pixels;
use crate::{Cursor, Display, PixelFormat, Rect, Surface};

/// pixman's x8r8g8b8 (and a8r8g8b8, whose alpha Hearth ignores): B, G, R, X in memory.
const PIXMAN_X8R8G8B8: u32 = 0x2002_0888;
const PIXMAN_A8R8G8B8: u32 = 0x2002_8888;
/// The largest frame Hearth accepts from a guest, in pixels a side.
const MAX_SIDE: u32 = 16_384;

fn format(pixman: u32) -> zbus::fdo::Result<PixelFormat> {
    match pixman {
        PIXMAN_X8R8G8B8 | PIXMAN_A8R8G8B8 => Ok(PixelFormat::Bgrx8888),
        other => Err(zbus::fdo::Error::NotSupported(format!(
            "pixel format {other:#x} is not supported"
        ))),
    }
}

/// An update rectangle from QEMU, refused when negative.
fn rectangle(x: i32, y: i32, width: i32, height: i32) -> zbus::fdo::Result<Rect> {
    match (
        u32::try_from(x),
        u32::try_from(y),
        u32::try_from(width),
        u32::try_from(height),
    ) {
        (Ok(x), Ok(y), Ok(width), Ok(height)) => Ok(Rect::new(x, y, width, height)),
        _ => Err(zbus::fdo::Error::InvalidArgs(
            "negative update rectangle".into(),
        )),
    }
}

fn check_size(width: u32, height: u32, stride: u32) -> zbus::fdo::Result<()> {
    if width > MAX_SIDE || height > MAX_SIDE || (stride as u64) < width as u64 * 4 {
        return Err(zbus::fdo::Error::InvalidArgs(format!(
            "refusing a {width}x{height} frame with stride {stride}"
        )));
    }
    Ok(())
}

pub struct Listener {
    pub display: Arc<Display>,
    pub console: ConsoleProxy<'static>,
}

impl Listener {
    /// QEMU can send updates wider than its last scanout (seen after boot); the console's
    /// size properties are right, so grow the frame to them.
    async fn fit(&self, right: u32, bottom: u32) {
        let Some((width, height)) = self.display.size() else {
            return;
        };
        if right <= width && bottom <= height {
            return;
        }
        let (Ok(w), Ok(h)) = (self.console.width().await, self.console.height().await) else {
            return;
        };
        if w <= MAX_SIDE && h <= MAX_SIDE {
            self.display
                .resize(w.max(right.min(MAX_SIDE)), h.max(bottom.min(MAX_SIDE)));
        }
    }
}

#[interface(name = "org.qemu.Display1.Listener")]
impl Listener {
    async fn scanout(
        &self,
        width: u32,
        height: u32,
        stride: u32,
        pixman_format: u32,
        data: Vec<u8>,
    ) -> zbus::fdo::Result<()> {
        let format = format(pixman_format)?;
        check_size(width, height, stride)?;
        let surface = Surface {
            width,
            height,
            stride,
            format,
            pixels: Pixels::Owned(data),
        };
        if !surface.is_complete() {
            return Err(zbus::fdo::Error::InvalidArgs(
                "the frame holds fewer bytes than its size says".into(),
            ));
        }
        self.display.scanout(surface);
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn update(
        &self,
        x: i32,
        y: i32,
        width: i32,
        height: i32,
        stride: u32,
        pixman_format: u32,
        data: Vec<u8>,
    ) -> zbus::fdo::Result<()> {
        format(pixman_format)?;
        let Rect {
            x,
            y,
            width,
            height,
        } = rectangle(x, y, width, height)?;
        self.fit(x.saturating_add(width), y.saturating_add(height))
            .await;
        self.display
            .update(Rect::new(x, y, width, height), stride, &data);
        Ok(())
    }

    async fn disable(&self) {
        self.display.disable();
    }

    async fn mouse_set(&self, x: i32, y: i32, on: i32) {
        self.display
            .set_cursor_position((on != 0).then_some((x, y)));
    }

    async fn cursor_define(&self, width: i32, height: i32, hot_x: i32, hot_y: i32, data: Vec<u8>) {
        let (Ok(w), Ok(h)) = (u32::try_from(width), u32::try_from(height)) else {
            return;
        };
        if w > 512 || h > 512 || data.len() < (w * h * 4) as usize {
            return;
        }
        self.display.set_cursor(Some(Cursor {
            width: w,
            height: h,
            hot_x,
            hot_y,
            pixels: data,
        }));
    }

    /// Tells QEMU which optional interfaces this listener implements.
    #[zbus(property)]
    async fn interfaces(&self) -> Vec<String> {
        vec!["org.qemu.Display1.Listener.Unix.Map".to_string()]
    }
}

/// The shared-memory variant of the listener, served at the same path.
pub struct MapListener {
    pub display: Arc<Display>,
}

#[interface(name = "org.qemu.Display1.Listener.Unix.Map")]
impl MapListener {
    async fn scanout_map(
        &self,
        memfd: OwnedFd,
        offset: u32,
        width: u32,
        height: u32,
        stride: u32,
        pixman_format: u32,
    ) -> zbus::fdo::Result<()> {
        let format = format(pixman_format)?;
        check_size(width, height, stride)?;
        tracing::debug!(width, height, offset, "scanout in shared memory");
        let fd: std::os::fd::OwnedFd = memfd.into();
        let file = std::fs::File::from(fd);
        let map = super::map::map_read_only(&file)
            .map_err(|e| zbus::fdo::Error::Failed(format!("cannot map the frame's memory: {e}")))?;
        let surface = Surface {
            width,
            height,
            stride,
            format,
            pixels: Pixels::Shared {
                map: Arc::new(map),
                offset: offset as usize,
            },
        };
        if !surface.is_complete() {
            return Err(zbus::fdo::Error::InvalidArgs(
                "the shared frame is smaller than its size says".into(),
            ));
        }
        self.display.scanout(surface);
        Ok(())
    }

    async fn update_map(&self, x: i32, y: i32, width: i32, height: i32) -> zbus::fdo::Result<()> {
        let Rect {
            x,
            y,
            width,
            height,
        } = rectangle(x, y, width, height)?;
        self.display.damage(Rect::new(x, y, width, height));
        Ok(())
    }
}
