//! What can go wrong, in words a person can act on.

use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("no space left on the device holding {path}: free some space and the download goes on")]
    NoSpace { path: PathBuf },
    #[error(
        "version {version} of {image} needs {} free and {} is free once {} is kept for the data disk to grow into and {} for the running VM (versions take {}, overlays {}, the data disk {}): free some space, keep fewer versions or give the data disk less",
        mib(*needed), mib(*free), mib(*data_headroom), mib(*keep_free), mib(*versions), mib(*overlays), mib(*data)
    )]
    NotEnoughSpace {
        image: String,
        version: u64,
        needed: u64,
        free: u64,
        data_headroom: u64,
        keep_free: u64,
        versions: u64,
        overlays: u64,
        data: u64,
    },
    #[error("manifest refused: {0}")]
    BadManifest(String),
    #[error("signature refused: {0}")]
    BadSignature(String),
    #[error(
        "version {offered} of {image} refused: it is not newer than the installed version {installed}"
    )]
    Replay {
        image: String,
        offered: u64,
        installed: u64,
    },
    #[error("{what} failed verification: {reason}")]
    Corrupt { what: String, reason: String },
    #[error(
        "version {offered} of {image} is older than version {pending}, which is being fetched; the mirror is out of date"
    )]
    Stale {
        image: String,
        offered: u64,
        pending: u64,
    },
    #[error("another hearth-image is working in {folder}; try again when it is done")]
    Busy { folder: PathBuf },
    #[error("{url}: {reason}")]
    Http { url: String, reason: String },
    #[error("the download was cancelled")]
    Cancelled,
    #[error("{0}")]
    Usage(String),
}

/// Bytes in MiB, one decimal.
fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1 << 20) as f64)
}

impl Error {
    /// An I/O error on `path`; running out of space gets its own variant so that callers can
    /// say what to do about it.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        let path = path.into();
        if source.kind() == std::io::ErrorKind::StorageFull
            || source.raw_os_error() == Some(28)
            || source.kind() == std::io::ErrorKind::QuotaExceeded
        {
            Error::NoSpace { path }
        } else {
            Error::Io { path, source }
        }
    }
}

/// Attaches a path to an I/O result.
pub trait IoContext<T> {
    fn at(self, path: impl Into<PathBuf>) -> Result<T>;
}

impl<T> IoContext<T> for std::io::Result<T> {
    fn at(self, path: impl Into<PathBuf>) -> Result<T> {
        self.map_err(|source| Error::io(path, source))
    }
}
