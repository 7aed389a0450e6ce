//! What a file is: by its extension first (cheap, no I/O), then confirmed by its first bytes.
//!
//! The walk reads no file whose extension says it is not media, so a tree of ten thousand
//! documents costs only the directory listing and a stat per file. Files with a media
//! extension, or with none, are sniffed: a renamed video is found, and random bytes named
//! `.mp4` are recorded as "not media" instead of reaching a decoder.

use std::path::Path;

/// The three kinds of media the library shows.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum MediaKind {
    Video,
    Audio,
    Photo,
}

impl MediaKind {
    /// The number stored in the index.
    pub fn code(self) -> i64 {
        match self {
            MediaKind::Video => 1,
            MediaKind::Audio => 2,
            MediaKind::Photo => 3,
        }
    }

    /// The kind stored as `code`, if it is one.
    pub fn from_code(code: i64) -> Option<MediaKind> {
        match code {
            1 => Some(MediaKind::Video),
            2 => Some(MediaKind::Audio),
            3 => Some(MediaKind::Photo),
            _ => None,
        }
    }
}

/// How many leading bytes [`sniff`] looks at.
pub const SNIFF_LEN: usize = 512;

/// What the name alone says about a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameHint {
    /// A media extension: confirm with the content.
    Media(MediaKind),
    /// No extension: the content decides.
    Unknown,
    /// Any other extension: not media, and not read.
    NotMedia,
}

const VIDEO_EXTENSIONS: &[&str] = &[
    "mp4", "m4v", "mkv", "webm", "mov", "avi", "ogv", "ts", "m2ts", "mts", "mpg", "mpeg", "wmv",
    "flv", "3gp",
];
const AUDIO_EXTENSIONS: &[&str] = &[
    "mp3", "flac", "ogg", "oga", "opus", "m4a", "m4b", "aac", "wav", "wma", "mka", "weba",
];
const PHOTO_EXTENSIONS: &[&str] = &[
    "jpg", "jpeg", "jpe", "png", "gif", "webp", "tif", "tiff", "bmp", "heic", "heif", "avif",
];

/// Classifies a path by its extension, case-insensitively.
pub fn hint_from_name(path: &Path) -> NameHint {
    let Some(extension) = path.extension() else {
        return NameHint::Unknown;
    };
    let Some(extension) = extension.to_str() else {
        return NameHint::NotMedia;
    };
    let lower = extension.to_ascii_lowercase();
    let lower = lower.as_str();
    if VIDEO_EXTENSIONS.contains(&lower) {
        NameHint::Media(MediaKind::Video)
    } else if AUDIO_EXTENSIONS.contains(&lower) {
        NameHint::Media(MediaKind::Audio)
    } else if PHOTO_EXTENSIONS.contains(&lower) {
        NameHint::Media(MediaKind::Photo)
    } else {
        NameHint::NotMedia
    }
}

/// The kind a file's first bytes show, refined by the name's hint where a container holds
/// either sound or pictures (MP4, Matroska, Ogg, ASF). `None` when no known signature matches.
pub fn sniff(head: &[u8], hint: NameHint) -> Option<MediaKind> {
    let hinted_audio = hint == NameHint::Media(MediaKind::Audio);
    let container = |default: MediaKind| {
        if hinted_audio {
            MediaKind::Audio
        } else {
            default
        }
    };
    let starts = |magic: &[u8]| head.starts_with(magic);
    let at = |offset: usize, magic: &[u8]| {
        head.get(offset..offset + magic.len())
            .is_some_and(|bytes| bytes == magic)
    };

    if starts(&[0xFF, 0xD8, 0xFF])
        || starts(b"\x89PNG\r\n\x1a\n")
        || starts(b"GIF87a")
        || starts(b"GIF89a")
        || (starts(b"RIFF") && at(8, b"WEBP"))
        || starts(b"II*\0")
        || starts(b"MM\0*")
        || (starts(b"BM") && head.len() >= 26 && at(6, &[0, 0, 0, 0]))
    {
        return Some(MediaKind::Photo);
    }
    if at(4, b"ftyp") {
        let brand = head.get(8..12).unwrap_or_default();
        return Some(match brand {
            b"heic" | b"heix" | b"heim" | b"heis" | b"mif1" | b"msf1" | b"avif" | b"avis" => {
                MediaKind::Photo
            }
            b"M4A " | b"M4B " | b"M4P " => MediaKind::Audio,
            _ => container(MediaKind::Video),
        });
    }
    if starts(&[0x1A, 0x45, 0xDF, 0xA3]) {
        return Some(container(MediaKind::Video));
    }
    if starts(b"OggS") {
        // The first page carries the first stream's identification header at byte 28.
        let video = at(28, b"\x80theora") || at(28, b"\x01video") || at(28, b"\x80daala");
        return Some(if video {
            MediaKind::Video
        } else {
            MediaKind::Audio
        });
    }
    if starts(b"RIFF") && at(8, b"AVI ") {
        return Some(MediaKind::Video);
    }
    if starts(b"RIFF") && at(8, b"WAVE") {
        return Some(MediaKind::Audio);
    }
    if starts(b"fLaC") || starts(b"ID3") || starts(b"#!AMR") {
        return Some(MediaKind::Audio);
    }
    if starts(&[0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11]) {
        return Some(container(MediaKind::Video));
    }
    if starts(&[0x00, 0x00, 0x01, 0xBA]) || starts(b"FLV\x01") {
        return Some(MediaKind::Video);
    }
    // MPEG transport streams: a sync byte every 188 bytes.
    if head.len() > 376 && head[0] == 0x47 && head[188] == 0x47 && head[376] == 0x47 {
        return Some(MediaKind::Video);
    }
    // MPEG audio or ADTS AAC frames without a tag: an 11- or 12-bit frame sync. Only trusted
    // when the name says audio, since two bytes match too much by chance.
    if hinted_audio && head.len() >= 4 && head[0] == 0xFF && head[1] & 0xE0 == 0xE0 {
        return Some(MediaKind::Audio);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(head: &[u8], name: &str, expected: Option<MediaKind>) {
        let hint = hint_from_name(Path::new(name));
        assert_eq!(sniff(head, hint), expected, "{name}");
    }

    #[test]
    fn names() {
        assert_eq!(
            hint_from_name(Path::new("a/B.MP4")),
            NameHint::Media(MediaKind::Video)
        );
        assert_eq!(hint_from_name(Path::new("a/b")), NameHint::Unknown);
        assert_eq!(hint_from_name(Path::new("a/b.txt")), NameHint::NotMedia);
        assert_eq!(
            hint_from_name(Path::new("song.Flac")),
            NameHint::Media(MediaKind::Audio)
        );
    }

    #[test]
    fn signatures() {
        check(
            b"\xFF\xD8\xFF\xE0\0\x10JFIF",
            "x.jpg",
            Some(MediaKind::Photo),
        );
        check(b"\x89PNG\r\n\x1a\n....", "x", Some(MediaKind::Photo));
        check(
            b"\0\0\0\x20ftypisom\0\0",
            "clip.mp4",
            Some(MediaKind::Video),
        );
        check(
            b"\0\0\0\x20ftypisom\0\0",
            "song.m4a",
            Some(MediaKind::Audio),
        );
        check(b"\0\0\0\x20ftypM4A \0\0", "noext", Some(MediaKind::Audio));
        check(b"\0\0\0\x18ftypheic\0\0", "x.heic", Some(MediaKind::Photo));
        check(b"\x1A\x45\xDF\xA3....", "x.webm", Some(MediaKind::Video));
        check(b"\x1A\x45\xDF\xA3....", "x.mka", Some(MediaKind::Audio));
        check(b"fLaC\0\0\0\x22", "x.flac", Some(MediaKind::Audio));
        check(b"ID3\x04\0", "x.mp3", Some(MediaKind::Audio));
        check(b"\xFF\xFB\x90\x00", "x.mp3", Some(MediaKind::Audio));
        check(b"\xFF\xFB\x90\x00", "x", None);
        check(b"hello world, not media", "x.mp4", None);
        check(b"", "empty.jpg", None);
        let mut ogg = b"OggS".to_vec();
        ogg.resize(28, 0);
        ogg.extend_from_slice(b"OpusHead");
        check(&ogg, "x.opus", Some(MediaKind::Audio));
        ogg.truncate(28);
        ogg.extend_from_slice(b"\x80theora");
        check(&ogg, "x.ogv", Some(MediaKind::Video));
        let mut ts = vec![0u8; 400];
        ts[0] = 0x47;
        ts[188] = 0x47;
        ts[376] = 0x47;
        check(&ts, "x.ts", Some(MediaKind::Video));
    }
}
