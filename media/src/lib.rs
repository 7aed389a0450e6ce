//! Hearth's local media library.
//!
//! [`scan`] walks the library's folders, [`Index`] keeps what was found in SQLite, and the
//! helper process (the `hearth-media-helper` binary, driven by [`helper`]) reads metadata and
//! makes thumbnails from untrusted files outside Hearth's own process, under a time and
//! memory limit. Everything crossing this crate's boundary is plain Rust data; GStreamer
//! and SQLite types stay inside.

#![warn(clippy::unwrap_used)]

mod error;
pub mod helper;
pub mod index;
mod kind;
pub mod library;
pub mod player;
pub mod reading;
pub mod samples;
pub mod scan;
pub mod service;
pub mod thumbnail;

pub use error::{Error, Result};
pub use index::{
    Changes, Counts, Entry, EntryKind, Index, Item, ItemStatus, Metadata, PlaybackMark, Section,
    Sort,
};
pub use kind::{MediaKind, NameHint, hint_from_name, sniff};
pub use library::{RootScan, scan_root};
pub use service::{Library, LibraryEvent, LibrarySettings, LibrarySink};
