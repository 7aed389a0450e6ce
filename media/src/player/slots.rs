//! The shared frame slots between Hearth and its player process: memfd files that Hearth
//! makes at a fixed size and seals (neither side can shrink or grow them, so a mapping can
//! never lose its pages under a reader), the child maps writable, Hearth read-only.
//!
//! Nothing the child says about a frame is taken on trust: [`check`] holds its size, strides
//! and offsets to the slot before any byte is read, as the VM display path does for QEMU.

use std::fs::File;
use std::os::fd::{AsFd, OwnedFd};

use super::FrameFormat;
use super::wire::FrameLayout;

/// How many frames can be in flight: one Hearth shows, one waiting, one being written, and
/// one for a release still on its way.
pub(crate) const SLOTS: usize = 4;
/// One slot holds a 3840x2160 BGRx frame; pages are used only as they are written.
pub(crate) const SLOT_BYTES: usize = 3840 * 2160 * 4;
/// The largest side a frame may have.
const MAX_SIDE: u32 = 8192;

/// Makes the slots, sealed at their size, for a child to inherit.
pub(crate) fn make() -> std::io::Result<Vec<OwnedFd>> {
    use rustix::fs::{MemfdFlags, SealFlags};
    (0..SLOTS)
        .map(|index| {
            let fd = rustix::fs::memfd_create(
                format!("hearth-frames-{index}"),
                MemfdFlags::CLOEXEC | MemfdFlags::ALLOW_SEALING,
            )?;
            rustix::fs::ftruncate(&fd, SLOT_BYTES as u64)?;
            rustix::fs::fcntl_add_seals(
                &fd,
                SealFlags::SHRINK | SealFlags::GROW | SealFlags::SEAL,
            )?;
            Ok(fd)
        })
        .collect()
}

/// Hearth's read-only view of the slots, with their files (a display server may be handed
/// them to put frames on screen without a copy in Hearth).
pub(crate) struct Mapped {
    maps: Vec<memmap2::Mmap>,
    fds: Vec<OwnedFd>,
    /// Tells this set from the sets of earlier player processes.
    id: u64,
}

impl Mapped {
    pub(crate) fn new(fds: Vec<OwnedFd>) -> std::io::Result<Mapped> {
        static SETS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let maps = fds
            .iter()
            .map(|fd| {
                let file = File::from(fd.as_fd().try_clone_to_owned()?);
                super::fds::map_read_only(&file)
            })
            .collect::<std::io::Result<Vec<_>>>()?;
        let id = SETS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(Mapped { maps, fds, id })
    }

    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    pub(crate) fn fd(&self, slot: usize) -> Option<std::os::fd::BorrowedFd<'_>> {
        self.fds.get(slot).map(|fd| fd.as_fd())
    }

    /// A checked plane of a slot.
    pub(crate) fn plane(&self, slot: usize, offset: usize, length: usize) -> Option<&[u8]> {
        self.maps
            .get(slot)?
            .get(offset..offset.checked_add(length)?)
    }
}

/// The child's writable view of the slots it inherited.
pub(crate) struct Writable {
    pub(crate) maps: Vec<memmap2::MmapMut>,
}

impl Writable {
    pub(crate) fn new(files: Vec<File>) -> std::io::Result<Writable> {
        let maps = files
            .iter()
            .map(|file| {
                if file.metadata()?.len() != SLOT_BYTES as u64 {
                    return Err(std::io::Error::other("a frame slot of the wrong size"));
                }
                super::fds::map_writable(file)
            })
            .collect::<std::io::Result<Vec<_>>>()?;
        Ok(Writable { maps })
    }
}

/// The bytes each plane of a frame needs: (rows, bytes per row).
pub(crate) fn plane_shapes(format: FrameFormat, width: u32, height: u32) -> Vec<(usize, usize)> {
    let (width, height) = (width as usize, height as usize);
    match format {
        FrameFormat::Bgrx => vec![(height, width * 4)],
        FrameFormat::I420 { .. } => {
            let (half_width, half_height) = (width.div_ceil(2), height.div_ceil(2));
            vec![
                (height, width),
                (half_height, half_width),
                (half_height, half_width),
            ]
        }
    }
}

/// Whether a frame the child announced lies inside its slot, with strides that hold its rows.
pub(crate) fn check(layout: &FrameLayout) -> Result<(), String> {
    if layout.slot >= SLOTS {
        return Err(format!("slot {} does not exist", layout.slot));
    }
    if !(1..=MAX_SIDE).contains(&layout.width) || !(1..=MAX_SIDE).contains(&layout.height) {
        return Err(format!("a {}x{} frame", layout.width, layout.height));
    }
    let shapes = plane_shapes(layout.format, layout.width, layout.height);
    if shapes.len() != layout.planes.len() {
        return Err(format!(
            "{} planes for {:?}",
            layout.planes.len(),
            layout.format
        ));
    }
    for ((rows, row_bytes), (offset, stride)) in shapes.into_iter().zip(&layout.planes) {
        let end = stride
            .checked_mul(rows)
            .and_then(|length| length.checked_add(*offset));
        if *stride < row_bytes || end.is_none_or(|end| end > SLOT_BYTES) {
            return Err(format!(
                "a plane at {offset} with stride {stride} for rows of {row_bytes} bytes"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(width: u32, height: u32, planes: Vec<(usize, usize)>) -> FrameLayout {
        FrameLayout {
            slot: 0,
            width,
            height,
            format: FrameFormat::Bgrx,
            planes,
            dropped: 0,
            late: 0,
        }
    }

    #[test]
    fn frames_outside_their_slot_are_refused() {
        assert!(check(&layout(1920, 1080, vec![(0, 7680)])).is_ok());
        // A stride shorter than a row, a frame past the slot's end, an offset that wraps.
        assert!(check(&layout(1920, 1080, vec![(0, 7000)])).is_err());
        assert!(check(&layout(3840, 2160, vec![(64, 15360)])).is_err());
        assert!(check(&layout(16, 16, vec![(usize::MAX - 8, 64)])).is_err());
        assert!(check(&layout(0, 16, vec![(0, 64)])).is_err());
        assert!(check(&layout(16, 16, vec![])).is_err());
        let mut far = layout(16, 16, vec![(0, 64)]);
        far.slot = SLOTS;
        assert!(check(&far).is_err());
    }

    #[test]
    fn sealed_slots_keep_their_size() {
        let fds = make().expect("memfds");
        assert_eq!(fds.len(), SLOTS);
        for fd in &fds {
            assert!(
                rustix::fs::ftruncate(fd, 4096).is_err(),
                "shrinking was allowed"
            );
            assert!(
                rustix::fs::ftruncate(fd, 2 * SLOT_BYTES as u64).is_err(),
                "growing was allowed"
            );
        }
        let mapped = Mapped::new(fds).expect("maps");
        assert!(mapped.plane(0, SLOT_BYTES - 16, 16).is_some());
        assert!(mapped.plane(0, SLOT_BYTES - 16, 17).is_none());
    }
}
