//! Mapping QEMU's frame memory. The only unsafe code in Hearth: mapping a file is unsafe
//! because another process may change or shrink it. QEMU only writes pixels into the memfd
//! it keeps for the scanout's lifetime (torn pixels at worst), and Hearth checks the mapping's
//! length against the frame's size before reading it.

#![allow(unsafe_code)]

pub fn map_read_only(file: &std::fs::File) -> std::io::Result<memmap2::Mmap> {
    // SAFETY: read-only shared mapping of a memfd owned by QEMU; see the module comment.
    unsafe { memmap2::Mmap::map(file) }
}
