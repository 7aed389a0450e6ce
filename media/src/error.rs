//! The media crate's errors.

use std::path::PathBuf;

/// What went wrong in the library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("media index: {what}: {source}")]
    Index {
        what: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error(
        "the media index was written by a newer Hearth (schema {found}, this one reads up to {supported}); move it aside to rebuild it"
    )]
    NewerIndex { found: i64, supported: i64 },
    #[error("media helper {helper}: {reason}")]
    Helper { helper: PathBuf, reason: String },
}

/// The media crate's result.
pub type Result<T> = std::result::Result<T, Error>;
