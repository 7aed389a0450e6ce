//! Decoding what the store serves, with the output bounded by what the signed manifest says
//! and every chunk checked against its name before anyone may use it.

use crate::manifest::{Frame, Manifest};
use crate::{ChunkId, Error, Result};

/// Decodes one chunk file; `what` names it in errors (a URL or a path).
pub fn decode_chunk(stored: &[u8], id: ChunkId, length: u64, what: &str) -> Result<Vec<u8>> {
    let data = zstd::bulk::decompress(stored, length as usize).map_err(|error| Error::Corrupt {
        what: what.to_string(),
        reason: format!("it does not decode: {error}"),
    })?;
    check(&data, id, length, what)?;
    Ok(data)
}

fn check(data: &[u8], id: ChunkId, length: u64, what: &str) -> Result<()> {
    if data.len() as u64 != length {
        return Err(Error::Corrupt {
            what: what.to_string(),
            reason: format!("it decodes to {} bytes, not {length}", data.len()),
        });
    }
    if ChunkId::of(data) != id {
        return Err(Error::Corrupt {
            what: what.to_string(),
            reason: format!("its content does not match its hash {id}"),
        });
    }
    Ok(())
}

/// Decodes one pack frame and splits it into its chunks, each verified.
pub fn decode_frame(
    manifest: &Manifest,
    frame: &Frame,
    stored: &[u8],
    what: &str,
) -> Result<Vec<(u32, Vec<u8>)>> {
    let total: u64 = frame
        .chunks
        .iter()
        .map(|&index| manifest.chunks[index as usize].length)
        .sum();
    let data = zstd::bulk::decompress(stored, total as usize).map_err(|error| Error::Corrupt {
        what: what.to_string(),
        reason: format!("it does not decode: {error}"),
    })?;
    if data.len() as u64 != total {
        return Err(Error::Corrupt {
            what: what.to_string(),
            reason: format!("it decodes to {} bytes, not {total}", data.len()),
        });
    }
    let mut chunks = Vec::with_capacity(frame.chunks.len());
    let mut position = 0usize;
    for &index in &frame.chunks {
        let entry = &manifest.chunks[index as usize];
        let id = entry.id.expect("frames name data chunks (validated)");
        let slice = &data[position..position + entry.length as usize];
        check(slice, id, entry.length, what)?;
        chunks.push((index, slice.to_vec()));
        position += entry.length as usize;
    }
    Ok(chunks)
}
