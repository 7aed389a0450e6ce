//! Hearth's VM images: a static, signed, content-addressed store of disk image versions
//! with precomputed delta packs, the publisher that writes it, and the agent that brings a
//! device from the version it has to the newest one, resuming where it stopped.
//!
//! This is the only crate in Hearth that speaks HTTP. What it exposes is plain Rust data
//! (`Manifest`, `Progress`, `Phase`, `DeviceState`); the shell and the image service wire it.

pub mod agent;
mod chunk_id;
pub mod cli;
mod codec;
mod error;
pub mod manifest;
pub mod peers;
pub mod publish;
pub mod reference;
pub mod service;
pub mod signing;
pub mod store;

pub use chunk_id::ChunkId;
pub use error::{Error, Result};
pub use manifest::{ChunkEntry, Frame, Manifest, Pack};
