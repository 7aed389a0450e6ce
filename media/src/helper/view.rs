//! The viewer's pictures: what the helper decodes for the full-screen photo viewer, as a raw
//! RGB file (`HRGB`, width and height as little-endian `u32`, then the rows), so Hearth
//! reads it without decoding anything. Written under a temporary name and renamed.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 4] = b"HRGB";
/// The most pixels a viewer picture may have (a 4K screen's worth and some).
const MAX_PIXELS: u64 = 4096 * 4096;

/// Where the viewer's picture number `slot` lives under `folder`.
pub fn view_file(folder: &Path, slot: usize) -> PathBuf {
    folder.join(format!("view-{slot}.rgb"))
}

pub(crate) fn write_view_file(
    file: &Path,
    width: u32,
    height: u32,
    rgb: &[u8],
) -> std::io::Result<()> {
    if let Some(folder) = file.parent() {
        std::fs::create_dir_all(folder)?;
    }
    let partial = file.with_extension("partial");
    {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&partial)?);
        out.write_all(MAGIC)?;
        out.write_all(&width.to_le_bytes())?;
        out.write_all(&height.to_le_bytes())?;
        out.write_all(rgb)?;
        out.flush()?;
    }
    std::fs::rename(partial, file)
}

/// Reads a viewer picture: its size and RGB rows. Refuses a file whose header and length
/// disagree, or that claims more than a 4096x4096 picture.
pub fn read_view_file(file: &Path) -> std::io::Result<(u32, u32, Vec<u8>)> {
    let invalid =
        |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string());
    let mut source = std::fs::File::open(file)?;
    let mut header = [0u8; 12];
    source.read_exact(&mut header)?;
    if &header[..4] != MAGIC {
        return Err(invalid("not a viewer picture"));
    }
    let width = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
    let height = u32::from_le_bytes([header[8], header[9], header[10], header[11]]);
    let pixels = u64::from(width) * u64::from(height);
    if width == 0 || height == 0 || pixels > MAX_PIXELS {
        return Err(invalid("a viewer picture of an impossible size"));
    }
    let length = usize::try_from(pixels * 3).map_err(|_| invalid("too large"))?;
    if source.metadata()?.len() != 12 + length as u64 {
        return Err(invalid("a viewer picture cut short"));
    }
    let mut rgb = vec![0; length];
    source.read_exact(&mut rgb)?;
    Ok((width, height, rgb))
}
