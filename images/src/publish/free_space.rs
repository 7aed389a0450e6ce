//! Free space is not published. Every upgrade leaves old data in the blocks a filesystem
//! freed (downloaded packages, caches, the files it replaced); the guest never reads them, yet
//! they change from version to version and hardly compress, so shipping them costs every
//! device bandwidth for nothing. For each ext2/3/4 filesystem in the image (the whole image,
//! or a partition of an MBR or GPT disk), `e2image -ra` (e2fsprogs) copies the blocks in use
//! and the rest becomes zeros: holes, never stored, fetched or written. Everything outside
//! those filesystems, and a filesystem e2image cannot read, is published as it is.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::Result;
use crate::error::IoContext;

/// A filesystem's place in the image, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    pub offset: u64,
    pub length: u64,
}

/// What zeroing did: the filesystems whose free space is zeros now, and those left as they
/// were with the reason.
#[derive(Debug, Default)]
pub struct Report {
    pub zeroed: Vec<Region>,
    pub kept: Vec<(Region, String)>,
}

const EXT_MAGIC: u16 = 0xef53;
const INCOMPAT_64BIT: u32 = 0x80;
const COPY_STEP: usize = 1 << 20;

fn read_at<const N: usize>(file: &File, offset: u64) -> Option<[u8; N]> {
    let mut bytes = [0u8; N];
    file.read_exact_at(&mut bytes, offset).ok()?;
    Some(bytes)
}

fn u16_at(bytes: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([bytes[at], bytes[at + 1]])
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().expect("four bytes"))
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().expect("eight bytes"))
}

/// The size of the ext2/3/4 filesystem starting at `offset`, if one does and it fits in
/// `room` bytes.
fn ext_size(file: &File, offset: u64, room: u64) -> Option<u64> {
    let superblock: [u8; 1024] = read_at(file, offset.checked_add(1024)?)?;
    if u16_at(&superblock, 0x38) != EXT_MAGIC {
        return None;
    }
    let log_block = u32_at(&superblock, 0x18);
    if log_block > 6 {
        return None;
    }
    let mut blocks = u64::from(u32_at(&superblock, 0x04));
    if u32_at(&superblock, 0x60) & INCOMPAT_64BIT != 0 {
        blocks |= u64::from(u32_at(&superblock, 0x150)) << 32;
    }
    let size = blocks.checked_mul(1024 << log_block)?;
    (size > 0 && size <= room).then_some(size)
}

/// The partitions of an MBR or GPT disk, as byte ranges inside `size`.
fn partitions(file: &File, size: u64) -> Vec<Region> {
    let Some(mbr) = read_at::<512>(file, 0) else {
        return Vec::new();
    };
    if mbr[510..512] != [0x55, 0xaa] {
        return Vec::new();
    }
    let entries: Vec<&[u8]> = (0..4).map(|i| &mbr[446 + 16 * i..462 + 16 * i]).collect();
    let mut found = Vec::new();
    if entries.iter().any(|entry| entry[4] == 0xee) {
        for sector in [512u64, 4096] {
            found.extend(gpt_partitions(file, sector));
        }
    } else {
        for entry in entries {
            let (kind, start, count) = (entry[4], u32_at(entry, 8), u32_at(entry, 12));
            // Extended partitions hold more tables, not a filesystem.
            if kind != 0 && !matches!(kind, 0x05 | 0x0f | 0x85) && count > 0 {
                found.push(Region {
                    offset: u64::from(start) * 512,
                    length: u64::from(count) * 512,
                });
            }
        }
    }
    found.retain(|region| {
        region
            .offset
            .checked_add(region.length)
            .is_some_and(|end| end <= size)
    });
    found
}

/// The partitions a GPT with `sector`-byte sectors lists, if there is one.
fn gpt_partitions(file: &File, sector: u64) -> Vec<Region> {
    let Some(header) = read_at::<92>(file, sector) else {
        return Vec::new();
    };
    if &header[..8] != b"EFI PART" {
        return Vec::new();
    }
    let (table, count, entry_size) = (
        u64_at(&header, 72),
        u32_at(&header, 80).min(1024),
        u32_at(&header, 84),
    );
    if !(128..=4096).contains(&entry_size) {
        return Vec::new();
    }
    let mut found = Vec::new();
    for index in 0..u64::from(count) {
        let Some(at) = table
            .checked_mul(sector)
            .and_then(|start| start.checked_add(index * u64::from(entry_size)))
        else {
            break;
        };
        let Some(entry) = read_at::<48>(file, at) else {
            break;
        };
        let (first, last) = (u64_at(&entry, 32), u64_at(&entry, 40));
        if entry[..16].iter().any(|&byte| byte != 0) && last >= first {
            found.push(Region {
                offset: first.saturating_mul(sector),
                length: (last - first + 1).saturating_mul(sector),
            });
        }
    }
    found
}

/// The ext2/3/4 filesystems in an image of `size` bytes: the image itself, or its partitions.
pub fn filesystems(file: &File, size: u64) -> Vec<Region> {
    if let Some(length) = ext_size(file, 0, size) {
        return vec![Region { offset: 0, length }];
    }
    let mut found: Vec<Region> = partitions(file, size)
        .into_iter()
        .filter_map(|partition| {
            ext_size(file, partition.offset, partition.length).map(|length| Region {
                offset: partition.offset,
                length,
            })
        })
        .collect();
    found.sort_by_key(|region| region.offset);
    found.dedup_by(|later, earlier| later.offset < earlier.offset + earlier.length);
    found
}

/// Copies `length` bytes at `source.2` in `source` to `target.2` in `target`, leaving holes
/// and zeros as holes (a 20 GiB image that is mostly holes is not read whole).
fn copy_data(source: (&File, &Path, u64), target: (&File, &Path, u64), length: u64) -> Result<()> {
    use rustix::fs::SeekFrom;
    let end = source.2 + length;
    let mut at = source.2;
    let mut buffer = vec![0u8; COPY_STEP];
    while at < end {
        let data = match rustix::fs::seek(source.0, SeekFrom::Data(at)) {
            Ok(data) => data,
            Err(rustix::io::Errno::NXIO) => break,
            Err(error) => return Err(std::io::Error::from(error)).at(source.1),
        };
        if data >= end {
            break;
        }
        let hole =
            rustix::fs::seek(source.0, SeekFrom::Hole(data)).map_or(end, |hole| hole.min(end));
        let mut position = data;
        while position < hole {
            let step = (hole - position).min(COPY_STEP as u64) as usize;
            let piece = &mut buffer[..step];
            source.0.read_exact_at(piece, position).at(source.1)?;
            if piece.iter().any(|&byte| byte != 0) {
                target
                    .0
                    .write_all_at(piece, target.2 + (position - source.2))
                    .at(target.1)?;
            }
            position += step as u64;
        }
        at = hole;
    }
    Ok(())
}

/// A copy of `raw` in `temporary` with the free space of its ext filesystems zeroed, or
/// `None` when it holds none.
pub fn zero_free_space(raw: &Path, temporary: &Path) -> Result<Option<(PathBuf, Report)>> {
    let source = File::open(raw).at(raw)?;
    let size = source.metadata().at(raw)?.len();
    let regions = filesystems(&source, size);
    if regions.is_empty() {
        return Ok(None);
    }
    let path = temporary.join(format!("zeroed-{}.raw", std::process::id()));
    let target = File::create(&path).at(&path)?;
    target.set_len(size).at(&path)?;
    let mut report = Report::default();
    let mut cursor = 0u64;
    let result = (|| -> Result<()> {
        for region in regions {
            copy_data(
                (&source, raw, cursor),
                (&target, &path, cursor),
                region.offset - cursor,
            )?;
            let used = temporary.join(format!("used-{}.raw", std::process::id()));
            match used_blocks(raw, region, &used) {
                Ok(written) => {
                    let file = File::open(&used).at(&used)?;
                    copy_data((&file, &used, 0), (&target, &path, region.offset), written)?;
                    report.zeroed.push(region);
                }
                Err(reason) => {
                    copy_data(
                        (&source, raw, region.offset),
                        (&target, &path, region.offset),
                        region.length,
                    )?;
                    report.kept.push((region, reason));
                }
            }
            let _ = std::fs::remove_file(&used);
            cursor = region.offset + region.length;
        }
        copy_data(
            (&source, raw, cursor),
            (&target, &path, cursor),
            size - cursor,
        )
    })();
    if let Err(error) = result {
        let _ = std::fs::remove_file(&path);
        return Err(error);
    }
    Ok(Some((path, report)))
}

/// The blocks `region`'s filesystem uses, at their places in a sparse file (zeros past its
/// end); returns the file's length.
fn used_blocks(raw: &Path, region: Region, output: &Path) -> std::result::Result<u64, String> {
    let _ = std::fs::remove_file(output);
    let result = Command::new("e2image")
        .arg("-ra")
        .arg("-o")
        .arg(region.offset.to_string())
        .arg(raw)
        .arg(output)
        .output()
        .map_err(|error| format!("e2image (e2fsprogs) could not run: {error}"))?;
    if !result.status.success() {
        return Err(format!(
            "e2image could not read it: {}",
            String::from_utf8_lossy(&result.stderr).trim()
        ));
    }
    let written = std::fs::metadata(output)
        .map_err(|error| format!("e2image wrote nothing: {error}"))?
        .len();
    if written > region.length {
        return Err(format!(
            "e2image wrote {written} bytes for a filesystem of {}",
            region.length
        ));
    }
    Ok(written)
}

/// What the publisher prints about it.
pub fn describe(report: &Report) -> Vec<String> {
    let mut lines: Vec<String> = report
        .zeroed
        .iter()
        .map(|region| {
            format!(
                "free space of the ext filesystem at byte {} ({} bytes) published as zeros",
                region.offset, region.length
            )
        })
        .collect();
    lines.extend(report.kept.iter().map(|(region, reason)| {
        format!(
            "the ext filesystem at byte {} is published as it is: {reason}",
            region.offset
        )
    }));
    lines
}
