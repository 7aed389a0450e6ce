//! What Hearth and its player process say to each other over their socket: one JSON object
//! per line each way. Frames do not travel here: the child writes them into the shared slots
//! ([`super::slots`]) and says where.

use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::PathBuf;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{AudioOutput, Command, FrameFormat, PlayerEvent, VideoFormat};

/// Hearth to the player process.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum ToChild {
    /// The first message: how to play.
    Setup {
        audio: AudioOutput,
        video_format: VideoFormat,
    },
    Command(Command),
    /// Hearth is done with this slot's frame: the child may write into it again.
    Release(usize),
    /// Answer with [`FromChild::Pong`] from the player's own thread.
    Ping(u64),
}

/// The player process to Hearth.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum FromChild {
    /// Anything the player reports but a frame.
    Event(PlayerEvent),
    /// A frame waits in a slot.
    Frame(FrameLayout),
    /// The frame shown is gone (a new file opened, the player stopped).
    Cleared,
    Pong(u64),
}

/// Where a frame lies in its slot: each plane's offset and stride, with the counts that go
/// with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct FrameLayout {
    pub slot: usize,
    pub width: u32,
    pub height: u32,
    pub format: FrameFormat,
    /// (offset, stride) of each plane: one for BGRx, three (Y, U, V) for I420.
    pub planes: Vec<(usize, usize)>,
    /// Frames the child dropped since the file opened (no free slot, or too large).
    pub dropped: u64,
    /// Frames GStreamer dropped as late since the file opened.
    pub late: u64,
}

/// Paths as bytes: a file name need not be UTF-8.
pub(crate) mod path_bytes {
    use super::*;

    pub fn serialize<S: Serializer>(path: &std::path::Path, to: S) -> Result<S::Ok, S::Error> {
        path.as_os_str().as_bytes().serialize(to)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(from: D) -> Result<PathBuf, D::Error> {
        Vec::<u8>::deserialize(from).map(|bytes| PathBuf::from(OsString::from_vec(bytes)))
    }
}

/// Lists of paths as lists of bytes.
pub(crate) mod paths_bytes {
    use super::*;

    pub fn serialize<S: Serializer>(paths: &[PathBuf], to: S) -> Result<S::Ok, S::Error> {
        paths
            .iter()
            .map(|path| path.as_os_str().as_bytes())
            .collect::<Vec<_>>()
            .serialize(to)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(from: D) -> Result<Vec<PathBuf>, D::Error> {
        Vec::<Vec<u8>>::deserialize(from).map(|list| {
            list.into_iter()
                .map(|bytes| PathBuf::from(OsString::from_vec(bytes)))
                .collect()
        })
    }
}

/// Pixels as base64: a preview is about 130 kB, a third more as text rather than four
/// times as a JSON list of numbers.
pub(crate) mod bytes_base64 {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;

    pub fn serialize<S: Serializer>(bytes: &[u8], to: S) -> Result<S::Ok, S::Error> {
        STANDARD.encode(bytes).serialize(to)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(from: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(from)?;
        STANDARD.decode(text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::player::OpenRequest;

    #[test]
    fn names_that_are_not_utf8_cross_the_socket() {
        let name = PathBuf::from(OsString::from_vec(b"/music/caf\xe9.ogg".to_vec()));
        let open = ToChild::Command(Command::Open(OpenRequest {
            files: vec![name.clone()],
            ..OpenRequest::default()
        }));
        let line = serde_json::to_string(&open).expect("encodes");
        let Ok(ToChild::Command(Command::Open(back))) = serde_json::from_str(&line) else {
            panic!("{line} does not decode as an open");
        };
        assert_eq!(back.files, std::slice::from_ref(&name));

        let started = FromChild::Event(PlayerEvent::Started {
            index: 0,
            path: name.clone(),
        });
        let line = serde_json::to_string(&started).expect("encodes");
        let Ok(FromChild::Event(PlayerEvent::Started { path, .. })) = serde_json::from_str(&line)
        else {
            panic!("{line} does not decode as a start");
        };
        assert_eq!(path, name);
    }
}
