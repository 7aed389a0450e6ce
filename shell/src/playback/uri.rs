//! `file://` URIs for MPRIS: paths as bytes, percent-encoded both ways.

use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

/// `file:///…` for an absolute path, every byte outside the unreserved set and `/` escaped.
pub fn file_uri(path: &Path) -> Option<String> {
    if !path.is_absolute() {
        return None;
    }
    let mut uri = String::from("file://");
    for &byte in path.as_os_str().as_bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            uri.push(char::from(byte));
        } else {
            uri.push_str(&format!("%{byte:02X}"));
        }
    }
    Some(uri)
}

/// The path a `file://` URI names (with an empty or `localhost` host), or None.
pub fn path_of(uri: &str) -> Option<PathBuf> {
    let rest = uri.strip_prefix("file://")?;
    let rest = rest.strip_prefix("localhost").unwrap_or(rest);
    if !rest.starts_with('/') {
        return None;
    }
    let bytes = rest.as_bytes();
    let mut path = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] == b'%' {
            let hex = std::str::from_utf8(bytes.get(at + 1..at + 3)?).ok()?;
            path.push(u8::from_str_radix(hex, 16).ok()?);
            at += 3;
        } else {
            path.push(bytes[at]);
            at += 1;
        }
    }
    Some(PathBuf::from(OsString::from_vec(path)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_survive_the_round_trip_whatever_their_bytes() {
        let path = PathBuf::from(OsString::from_vec(
            b"/media/Gr\xc3\xbc\xc3\x9fe #1 100%/a\xff.mp4".to_vec(),
        ));
        let uri = file_uri(&path).expect("an absolute path");
        assert_eq!(
            uri,
            "file:///media/Gr%C3%BC%C3%9Fe%20%231%20100%25/a%FF.mp4"
        );
        assert_eq!(path_of(&uri), Some(path));
        assert_eq!(
            path_of("file://localhost/tmp/x"),
            Some(PathBuf::from("/tmp/x"))
        );
        assert_eq!(path_of("http://example.com/x"), None);
        assert_eq!(path_of("file:///bad%zz"), None);
        assert_eq!(file_uri(Path::new("relative")), None);
    }
}
