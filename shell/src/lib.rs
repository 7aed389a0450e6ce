//! The Hearth shell: command line, configuration, the UI wiring and the policy of who gets
//! the screen and the input.

#![warn(clippy::unwrap_used)]

pub mod app;
pub mod cli;
pub mod config;
pub mod downloads;
mod durable;
pub mod focus;
pub mod frames;
pub mod gamepad;
pub mod gestures;
#[cfg(feature = "wgpu")]
pub mod gpu_presenter;
pub mod headless;
pub mod keyboard;
mod keymap;
pub mod kiosk;
#[cfg(feature = "linuxkms")]
mod kms;
pub mod last_screens;
pub mod media;
pub mod navigation;
pub mod osk;
pub mod playback;
pub mod presenter;
mod properties_changed;
pub mod remote_keys;
pub mod screens;
pub mod service;
pub mod session;
pub mod systemd;
mod winit_hook;

pub use app::App;
pub use cli::run;
