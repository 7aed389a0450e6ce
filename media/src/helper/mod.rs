//! The media helper: a separate process that opens untrusted files for Hearth.
//!
//! A hostile file can hang a decoder, crash it or make it allocate gigabytes. The helper
//! runs under an address-space limit, answers one request at a time, and the parent
//! ([`Helper`]) kills and restarts it when an answer takes longer than its time limit or
//! when it dies, recording the file as failed with the reason. Hearth's own process never
//! decodes a file from the library.

mod av;
pub mod child;
mod photo;
mod pool;
pub mod protocol;
mod view;

pub use photo::MAX_PIXELS;
pub use pool::{Helper, HelperLimits, Unavailable, helper_binary};
pub(crate) use pool::{bounded_lines, out_of_memory};
pub use view::{read_view_file, view_file};
