//! The walk over one library root: every candidate file with its size, modification time and
//! inode, and every folder or link that could not be followed, with the reason.
//!
//! The walk runs on several threads (directories are listed in parallel), skips hidden
//! files and folders, follows symbolic links with loop detection, and never reads a file:
//! sniffing the content is left to the caller for files that are new or changed.

use std::collections::HashSet;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ignore::{WalkBuilder, WalkState};

use crate::kind::{NameHint, hint_from_name};

/// A file that may be media, as the walk found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundFile {
    pub path: PathBuf,
    pub size: u64,
    /// Modification time in nanoseconds since the epoch.
    pub mtime_ns: i64,
    pub inode: u64,
    pub device: u64,
    pub hint: NameHint,
}

/// Something the walk could not go into or read, kept so the owner can see why a file is
/// missing from the library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalkProblem {
    pub path: PathBuf,
    pub reason: String,
}

/// What one walk over a root found.
#[derive(Debug, Default)]
pub struct Walk {
    pub files: Vec<FoundFile>,
    pub problems: Vec<WalkProblem>,
}

/// How many threads list directories.
fn walk_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get().clamp(2, 8))
        .unwrap_or(2)
}

/// Walks `root`. Files whose extension says they are not media are left out without being
/// stat'ed; every other regular file is listed once, even when links reach it twice.
pub fn walk(root: &Path) -> Walk {
    let shared = Shared::default();
    WalkBuilder::new(root)
        .standard_filters(false)
        .hidden(true)
        .follow_links(true)
        .threads(walk_threads())
        .build_parallel()
        .visit(&mut VisitorBuilder { shared: &shared });
    let mut walk = shared
        .found
        .into_inner()
        .unwrap_or_else(|poison| poison.into_inner());
    walk.files.sort_by(|a, b| a.path.cmp(&b.path));
    // A file reached through links under two names is listed under the first name.
    let mut seen = HashSet::new();
    walk.files
        .retain(|file| seen.insert((file.device, file.inode)));
    walk.problems.sort_by(|a, b| a.path.cmp(&b.path));
    walk
}

#[derive(Default)]
struct Shared {
    found: Mutex<Walk>,
}

struct VisitorBuilder<'s> {
    shared: &'s Shared,
}

impl<'s> ignore::ParallelVisitorBuilder<'s> for VisitorBuilder<'s> {
    fn build(&mut self) -> Box<dyn ignore::ParallelVisitor + 's> {
        Box::new(Visitor {
            shared: self.shared,
            local: Walk::default(),
        })
    }
}

/// One walking thread's findings, merged into the shared list in batches and when the
/// thread finishes.
struct Visitor<'s> {
    shared: &'s Shared,
    local: Walk,
}

impl ignore::ParallelVisitor for Visitor<'_> {
    fn visit(&mut self, entry: Result<ignore::DirEntry, ignore::Error>) -> WalkState {
        match entry {
            Ok(entry) => visit(entry, &mut self.local),
            Err(error) => self.local.problems.push(problem_from(error)),
        }
        if self.local.files.len() + self.local.problems.len() >= 256 {
            merge(self.shared, &mut self.local);
        }
        WalkState::Continue
    }
}

impl Drop for Visitor<'_> {
    fn drop(&mut self) {
        merge(self.shared, &mut self.local);
    }
}

fn visit(entry: ignore::DirEntry, local: &mut Walk) {
    if !entry.file_type().is_some_and(|kind| kind.is_file()) {
        return;
    }
    let hint = hint_from_name(entry.path());
    if hint == NameHint::NotMedia {
        return;
    }
    match entry.metadata() {
        Ok(metadata) => {
            local.files.push(FoundFile {
                path: entry.into_path(),
                size: metadata.len(),
                // Times far outside 1677 to 2262 (a foreign drive's) are clamped, not wrapped.
                mtime_ns: metadata
                    .mtime()
                    .checked_mul(1_000_000_000)
                    .and_then(|ns| ns.checked_add(metadata.mtime_nsec()))
                    .unwrap_or(if metadata.mtime() < 0 {
                        i64::MIN
                    } else {
                        i64::MAX
                    }),
                inode: metadata.ino(),
                device: metadata.dev(),
                hint,
            });
        }
        Err(error) => local.problems.push(WalkProblem {
            path: entry.into_path(),
            reason: error.to_string(),
        }),
    }
}

fn merge(shared: &Shared, local: &mut Walk) {
    let mut found = shared
        .found
        .lock()
        .unwrap_or_else(|poison| poison.into_inner());
    found.files.append(&mut local.files);
    found.problems.append(&mut local.problems);
}

fn problem_from(error: ignore::Error) -> WalkProblem {
    fn path_of(error: &ignore::Error) -> Option<PathBuf> {
        match error {
            ignore::Error::WithPath { path, .. } => Some(path.clone()),
            ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
                path_of(err)
            }
            ignore::Error::Loop { child, .. } => Some(child.clone()),
            _ => None,
        }
    }
    fn reason_of(error: &ignore::Error) -> String {
        match error {
            ignore::Error::WithPath { err, .. }
            | ignore::Error::WithDepth { err, .. }
            | ignore::Error::WithLineNumber { err, .. } => reason_of(err),
            ignore::Error::Loop { ancestor, .. } => {
                format!("link loop back to {}", ancestor.to_string_lossy())
            }
            other => other.to_string(),
        }
    }
    WalkProblem {
        path: path_of(&error).unwrap_or_default(),
        reason: reason_of(&error),
    }
}
