//! Hypervisors behind one seam.
//!
//! Every backend (the simulated one here, libvirt later) implements [`Hypervisor`]: it lists
//! VMs, runs lifecycle requests, reports what happens as [`BackendEvent`]s, exposes each VM's
//! screen as a [`Display`] and takes [`InputEvent`]s for it. Everything that crosses this
//! boundary is plain Rust data; no protocol type leaks out of this crate.

#![warn(clippy::unwrap_used)]

mod display;
mod hypervisor;
mod input;
pub mod keys;
pub mod libvirt;
mod model;
pub mod qemu;
pub mod sim;

pub use display::{Change, Cursor, Display, DisplayObserver, PixelFormat, Pixels, Rect, Surface};
pub use hypervisor::{EventSink, Hypervisor};
pub use input::{InputEvent, KeyCode, PointerButton, TouchPhase};
pub use model::{
    BackendEvent, BootDisks, Console, Error, Lifecycle, Result, VmId, VmInfo, VmRole, VmState,
};
