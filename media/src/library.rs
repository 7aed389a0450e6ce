//! Scanning a library root into the index: the walk, the offline checks that keep a
//! removable drive's items while it is away, and content sniffing of new files.

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use crate::Result;
use crate::index::{Changes, Index, Sniffed};
use crate::kind::{SNIFF_LEN, sniff};
use crate::scan::{FoundFile, walk};

/// What scanning a root did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RootScan {
    /// The root was walked and the index brought in line.
    Synced(Changes),
    /// The root's folder is missing, unreadable or its drive is unmounted: its items are
    /// kept and hidden until it returns.
    Offline,
}

/// Reads a new or changed file's first bytes to decide what it is.
pub fn sniff_file(file: &FoundFile) -> Sniffed {
    if file.size == 0 {
        return Sniffed::NotMedia("empty file".to_string());
    }
    let mut head = Vec::with_capacity(SNIFF_LEN);
    let read = File::open(&file.path)
        .and_then(|opened| opened.take(SNIFF_LEN as u64).read_to_end(&mut head));
    if let Err(error) = read {
        return Sniffed::Unreadable(format!("cannot be read: {error}"));
    }
    match sniff(&head, file.hint) {
        Some(kind) => Sniffed::Media(kind),
        None => Sniffed::NotMedia("its content is not a media format Hearth knows".to_string()),
    }
}

/// Scans `root` into `index`; `now` is the time in seconds recorded for new items.
pub fn scan_root(index: &mut Index, root: &Path, now: i64) -> Result<RootScan> {
    let metadata = match std::fs::metadata(root) {
        Ok(metadata) if metadata.is_dir() => metadata,
        _ => {
            index.mark_offline(root)?;
            return Ok(RootScan::Offline);
        }
    };
    let found = walk(root);
    let stored = index.root_state(root)?;
    // An empty root that held files is a drive unmounted from its mount point (the folder is
    // now on another device) or a folder that cannot be listed: keep what it held.
    if found.files.is_empty()
        && let Some(stored) = stored.filter(|stored| stored.items > 0)
    {
        let unmounted = stored.device.is_some_and(|device| device != metadata.dev());
        let unreadable = found.problems.iter().any(|problem| problem.path == root);
        if unmounted || unreadable {
            index.mark_offline(root)?;
            return Ok(RootScan::Offline);
        }
    }
    let changes = index.sync_root(root, metadata.dev(), &found, now, &sniff_file)?;
    Ok(RootScan::Synced(changes))
}
