//! `hearth-image publish`: one new version of an image into a store, with its chunks, its
//! delta packs for the last few versions and for a first install, its signed manifest, and
//! finally the channel file that makes it current.

mod bases;
mod chunker;
mod files;
pub mod free_space;
mod packer;
pub mod verify;

use std::path::PathBuf;

use minisign::SecretKey;

use crate::error::IoContext;
use crate::manifest::{self, Chunking, Manifest};
use crate::store::{self, Channel};
use crate::{Error, Result};

pub use files::read_store_manifests;

/// casync's defaults: the chunk sizes its users already know the trade-offs of.
pub const DEFAULT_CHUNKING: Chunking = Chunking {
    min: 16 << 10,
    avg: 64 << 10,
    max: 256 << 10,
};

/// Chunk sizes around an average: a quarter of it to four times it.
pub fn chunking_around(average: u32) -> Result<Chunking> {
    if !average.is_power_of_two() || !(1024..=(1 << 20)).contains(&average) {
        return Err(Error::Usage(format!(
            "an average chunk size of {average} bytes is not a power of two from 1024 to 1048576"
        )));
    }
    Ok(Chunking {
        min: average / 4,
        avg: average,
        max: average * 4,
    })
}

#[derive(Debug)]
pub struct PublishOptions {
    pub store: PathBuf,
    pub image: String,
    /// A raw image, or a qcow2 one (read as the guest sees it through `qemu-img convert`).
    pub input: PathBuf,
    /// The new version; one more than the newest published when absent.
    pub version: Option<u64>,
    /// How many of the newest earlier versions get a delta pack.
    pub deltas: usize,
    pub chunk_level: i32,
    pub pack_level: i32,
    /// The chunk sizes; when absent, those of the newest published version (so versions
    /// share chunks), else [`DEFAULT_CHUNKING`].
    pub chunking: Option<Chunking>,
    pub threads: usize,
    /// Publish the free space of ext filesystems as it is instead of as zeros.
    pub keep_free_space: bool,
}

#[derive(Debug)]
pub struct Published {
    pub manifest_path: String,
    pub version: u64,
    pub size: u64,
    pub data_bytes: u64,
    pub chunks: usize,
    /// Chunk files this version added to the store, and their bytes.
    pub new_chunks: usize,
    pub new_chunk_bytes: u64,
    /// Each pack: its base version and its size.
    pub packs: Vec<(Option<u64>, u64)>,
    /// What became of the free space of the image's filesystems, a line each.
    pub free_space: Vec<String>,
}

pub fn publish(options: &PublishOptions, secret_key: &SecretKey) -> Result<Published> {
    if !manifest::valid_image_name(&options.image) {
        return Err(Error::Usage(format!(
            "{:?} is not a valid image name (letters, digits, '-', '_' and '.')",
            options.image
        )));
    }
    let earlier = read_store_manifests(&options.store, &options.image)?;
    let newest = earlier.last().map(|manifest| manifest.version).unwrap_or(0);
    let version = options.version.unwrap_or(newest + 1);
    if version <= newest {
        return Err(Error::Usage(format!(
            "version {version} is not newer than the published version {newest}: versions only go up"
        )));
    }
    let temporary = options.store.join(".tmp");
    std::fs::create_dir_all(&temporary).at(&temporary)?;
    let raw = files::RawInput::open(&options.input, &temporary, options.keep_free_space)?;

    let chunking = options
        .chunking
        .or_else(|| earlier.last().map(|manifest| manifest.chunking))
        .unwrap_or(DEFAULT_CHUNKING);
    let cut = chunker::cut_and_store(raw.path(), &options.store, options, chunking)?;
    let mut manifest = Manifest {
        format: manifest::FORMAT,
        image: options.image.clone(),
        version,
        size: cut.size,
        hash: cut.hash,
        chunking,
        chunks: cut.entries,
        packs: Vec::new(),
    };

    let mut bases: Vec<Option<&Manifest>> = earlier
        .iter()
        .rev()
        .take(options.deltas)
        .map(Some)
        .collect();
    bases.push(None);
    for base in bases {
        let pack = packer::write_pack(&manifest, base, raw.path(), options)?;
        manifest.packs.push(crate::Pack {
            from: base.map(|base| base.version),
            ..pack
        });
    }
    manifest.validate()?;

    let bytes = manifest.to_json();
    let manifest_path = store::manifest_path(&options.image, version, &bytes);
    let trusted = format!(
        "image={} version={version} size={} hash={}",
        options.image, manifest.size, manifest.hash
    );
    let signature = crate::signing::sign(&bytes, secret_key, &trusted)?;
    files::write_atomically(&options.store, &manifest_path, &bytes)?;
    files::write_atomically(
        &options.store,
        &store::signature_path(&manifest_path),
        signature.as_bytes(),
    )?;
    let channel = Channel {
        image: options.image.clone(),
        version,
        manifest: manifest_path.clone(),
    };
    files::write_atomically(
        &options.store,
        &store::channel_path(&options.image),
        &serde_json::to_vec_pretty(&channel).expect("a channel always serialises"),
    )?;
    let free_space = free_space::describe(&raw.free_space);
    drop(raw);
    let _ = std::fs::remove_dir(&temporary);
    Ok(Published {
        manifest_path,
        version,
        size: manifest.size,
        data_bytes: manifest.data_bytes(),
        chunks: manifest.chunks.len(),
        new_chunks: cut.new_chunks,
        new_chunk_bytes: cut.new_chunk_bytes,
        packs: manifest
            .packs
            .iter()
            .map(|pack| (pack.from, pack.size))
            .collect(),
        free_space,
    })
}
