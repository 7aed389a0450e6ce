//! What Hearth and its media helper say to each other: one JSON object per line, a request
//! on the helper's stdin and its answer on its stdout.

use serde::{Deserialize, Serialize};

use crate::MediaKind;
use crate::index::Metadata;
use crate::thumbnail::ThumbnailSize;

/// Read one file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    /// The file's path as bytes, so names that are not UTF-8 survive.
    pub path: Vec<u8>,
    pub kind: MediaKind,
    /// The file's modification time in whole seconds, written into the thumbnail.
    pub mtime: i64,
    /// Where to write a thumbnail, if one is wanted.
    pub thumbnail: Option<ThumbnailRequest>,
    /// A photo decoded for the viewer, if one is wanted (photos only).
    #[serde(default)]
    pub view: Option<ViewRequest>,
}

/// A photo to decode for the full-screen viewer: upright, at most `longest_side` pixels on
/// its longer side, written as a [`view_file`](crate::helper::view_file) (raw RGB).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ViewRequest {
    pub longest_side: u32,
    /// The file to write, as bytes.
    pub file: Vec<u8>,
}

/// A thumbnail to make.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThumbnailRequest {
    pub size: ThumbnailSize,
    /// The thumbnail file, as bytes.
    pub file: Vec<u8>,
    /// The source's URI, for `Thumb::URI`.
    pub uri: String,
    /// Smaller sizes to write as well, scaled down from the same decoded picture, for the
    /// desktop's other programs.
    #[serde(default)]
    pub smaller: Vec<SmallerThumbnail>,
}

/// A smaller size of the same thumbnail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SmallerThumbnail {
    pub size: ThumbnailSize,
    /// The thumbnail file, as bytes.
    pub file: Vec<u8>,
}

/// What the helper made of a file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Reply {
    /// Metadata read; `thumbnail` says whether a thumbnail was written (music without art
    /// has none).
    Read { metadata: Metadata, thumbnail: bool },
    /// The file cannot be read; the reason is for people.
    Failed { reason: String },
}

/// A request or reply with the number that pairs them, so a line that is not the answer to
/// the request in flight (a plugin printing to stdout, say) is never taken for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope<T> {
    pub id: u64,
    pub body: T,
}
