//! The player process's file descriptors: placing the socket and the frame slots at known
//! numbers in the child, taking them up there, and mapping the slots. The only unsafe code in
//! the media crate, each use for the reason given beside it: a mapped file can change under
//! its reader, so the slots are sealed at their size by Hearth before either side maps them,
//! and Hearth reads only ranges it has checked (torn pixels at worst).

#![allow(unsafe_code)]

use std::fs::File;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;

/// Maps a slot for reading (Hearth).
pub(crate) fn map_read_only(file: &File) -> std::io::Result<memmap2::Mmap> {
    // SAFETY: a memfd sealed against shrinking and growing; see the module comment.
    unsafe { memmap2::Mmap::map(file) }
}

/// Maps a slot for writing (the player process, the only writer).
pub(crate) fn map_writable(file: &File) -> std::io::Result<memmap2::MmapMut> {
    // SAFETY: a memfd sealed against shrinking and growing, written only by this process.
    unsafe { memmap2::MmapMut::map_mut(file) }
}

/// Takes up a descriptor the process was started with. Each number may be taken once.
pub(crate) fn inherited(fd: RawFd) -> std::io::Result<OwnedFd> {
    rustix::io::fcntl_getfd(
        // SAFETY: only checks that the number is open; nothing is owned yet.
        unsafe { rustix::fd::BorrowedFd::borrow_raw(fd) },
    )
    .map_err(|_| std::io::Error::other(format!("descriptor {fd} was not passed")))?;
    // SAFETY: open (checked above) and passed by Hearth for this process to own; the
    // callers take each number once.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Has the child start with `fds` at `first`, `first + 1`, … The descriptors must be
/// numbered above `first + fds.len()`, so placing one never overwrites one still to place.
pub(crate) fn place_at(command: &mut std::process::Command, fds: Vec<RawFd>, first: RawFd) {
    // SAFETY: only dup2, which is async-signal-safe, runs between fork and exec.
    unsafe {
        command.pre_exec(move || {
            for (place, fd) in (first..).zip(&fds) {
                if libc::dup2(*fd, place) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
}
