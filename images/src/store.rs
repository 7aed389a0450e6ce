//! The store's layout: plain static files under one root, all immutable but the channels.
//!
//! ```text
//! channels/<image>.json                       the only mutable file: names the current manifest
//! manifests/<image>/<version>-<digest>.json   a version's manifest, and beside it its .minisig
//! chunks/<4 hex>/<64 hex>.zst                  one zstd-compressed chunk, named by its BLAKE3
//! packs/<64 hex>.pack                          a delta pack, named by its own BLAKE3
//! ```

use serde::{Deserialize, Serialize};

use crate::{ChunkId, Error, Result};

/// The most bytes a channel file or a signature may have.
pub const MAX_SMALL_FILE: u64 = 64 << 10;

/// What a channel file says: the image's current version and where its manifest is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Channel {
    pub image: String,
    pub version: u64,
    pub manifest: String,
}

impl Channel {
    pub fn parse(bytes: &[u8]) -> Result<Channel> {
        let channel: Channel = serde_json::from_slice(bytes).map_err(|error| {
            Error::BadManifest(format!("the channel file is unreadable: {error}"))
        })?;
        if !is_manifest_path(&channel.manifest) {
            return Err(Error::BadManifest(format!(
                "the channel names {:?}, which is not a manifest's path",
                channel.manifest
            )));
        }
        Ok(channel)
    }
}

pub fn channel_path(image: &str) -> String {
    format!("channels/{image}.json")
}

pub fn manifest_path(image: &str, version: u64, manifest_bytes: &[u8]) -> String {
    let digest = blake3::hash(manifest_bytes).to_hex();
    format!("manifests/{image}/{version}-{}.json", &digest[..16])
}

pub fn signature_path(manifest_path: &str) -> String {
    format!("{manifest_path}.minisig")
}

pub fn chunk_path(id: ChunkId) -> String {
    let hex = id.to_hex();
    format!("chunks/{}/{hex}.zst", &hex[..4])
}

pub fn pack_path(pack_bytes_hash: ChunkId) -> String {
    format!("packs/{}.pack", pack_bytes_hash.to_hex())
}

fn is_hex(text: &str) -> bool {
    text.bytes().all(|byte| byte.is_ascii_hexdigit())
}

/// `packs/<64 hex>.pack`, nothing else: a path from a manifest never leaves the store.
pub fn is_pack_path(path: &str) -> bool {
    path.strip_prefix("packs/")
        .and_then(|rest| rest.strip_suffix(".pack"))
        .is_some_and(|hex| hex.len() == 64 && is_hex(hex))
}

/// `manifests/<image>/<version>-<16 hex>.json`.
pub fn is_manifest_path(path: &str) -> bool {
    let Some(rest) = path.strip_prefix("manifests/") else {
        return false;
    };
    let Some((image, file)) = rest.split_once('/') else {
        return false;
    };
    let Some(stem) = file.strip_suffix(".json") else {
        return false;
    };
    let Some((version, digest)) = stem.split_once('-') else {
        return false;
    };
    crate::manifest::valid_image_name(image)
        && !version.is_empty()
        && version.bytes().all(|byte| byte.is_ascii_digit())
        && digest.len() == 16
        && is_hex(digest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_from_a_manifest_stay_inside_the_store() {
        let good = format!("packs/{}.pack", "a".repeat(64));
        assert!(is_pack_path(&good));
        for bad in [
            "packs/../etc/passwd.pack",
            "/packs/x.pack",
            "packs/abc.pack",
            "chunks/aaaa/x.zst",
        ] {
            assert!(!is_pack_path(bad), "{bad}");
        }
        assert!(is_manifest_path("manifests/work/12-0123456789abcdef.json"));
        for bad in [
            "manifests/../x/1-0123456789abcdef.json",
            "manifests/work/x-0123456789abcdef.json",
            "manifests/work/1-0123456789abcdef.json/..",
            "/etc/passwd",
        ] {
            assert!(!is_manifest_path(bad), "{bad}");
        }
    }
}
