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

/// Decodes one pack frame chunk by chunk, handing each to `each` once it is verified; only
/// one chunk is held decoded at a time. `reference` is the frame's base content (see
/// [`crate::reference`]), empty for a frame compressed on its own.
pub fn decode_frame(
    manifest: &Manifest,
    frame: &Frame,
    stored: &[u8],
    reference: &[u8],
    what: &str,
    mut each: impl FnMut(u32, &[u8]) -> Result<()>,
) -> Result<()> {
    use std::io::Read;
    let corrupt = |reason: String| Error::Corrupt {
        what: what.to_string(),
        reason,
    };
    let decoder = if reference.is_empty() {
        zstd::stream::read::Decoder::with_buffer(stored)
    } else {
        zstd::stream::read::Decoder::with_ref_prefix(stored, reference)
    };
    let mut decoder = decoder
        .and_then(|mut decoder| {
            decoder.window_log_max(crate::reference::WINDOW_LOG_MAX)?;
            Ok(decoder)
        })
        .map_err(|error| corrupt(format!("it does not decode: {error}")))?
        .single_frame();
    let mut buffer = Vec::new();
    for &index in &frame.chunks {
        let entry = &manifest.chunks[index as usize];
        let id = entry.id.expect("frames name data chunks (validated)");
        buffer.resize(entry.length as usize, 0);
        decoder
            .read_exact(&mut buffer)
            .map_err(|error| corrupt(format!("it does not decode: {error}")))?;
        check(&buffer, id, entry.length, what)?;
        each(index, &buffer)?;
    }
    let mut rest = [0u8; 1];
    match decoder.read(&mut rest) {
        Ok(0) => Ok(()),
        Ok(_) => Err(corrupt(
            "it holds more than the chunks it lists".to_string(),
        )),
        Err(error) => Err(corrupt(format!("it does not decode: {error}"))),
    }
}
