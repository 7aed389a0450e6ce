//! `hearth --check-media`: scans the library now, reads what is new, and says in words what
//! it holds and what it left out and why: the answer to "why is my film not on the screen?".

use std::path::PathBuf;

use anyhow::Context;
use hearth_media::reading::Reader;
use hearth_media::{Index, ItemStatus, LibrarySettings, RootScan, scan_root};

fn plural(count: usize, one: &str, many: &str) -> String {
    if count == 1 {
        format!("1 {one}")
    } else {
        format!("{count} {many}")
    }
}

/// Prints the report to stdout.
pub fn report(settings: &LibrarySettings) -> anyhow::Result<()> {
    let mut index = Index::open(&settings.index_file)
        .with_context(|| format!("opening the media index {}", settings.index_file.display()))?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs() as i64)
        .unwrap_or(0);
    for root in &settings.roots {
        if settings.samples && !root.exists() {
            println!(
                "{}: the demo's sample media are made when Hearth first starts",
                root.display()
            );
            continue;
        }
        match scan_root(&mut index, root, now).context("scanning the media library")? {
            RootScan::Synced(changes) => println!(
                "{}: {} added, {} changed, {} removed, {} unchanged",
                root.display(),
                plural(changes.added, "file", "files"),
                changes.changed,
                changes.removed,
                changes.unchanged
            ),
            RootScan::Offline => println!(
                "{}: not there now (a drive that is not plugged in?); what it held is kept",
                root.display()
            ),
        }
    }
    let mut reader = Reader::new(
        settings.helper.clone(),
        settings.limits,
        settings.helpers,
        settings.thumbnails.clone(),
        settings.thumbnail_size,
    );
    reader
        .read_pending(&index, |_| {})
        .context("reading the new media")?;
    let counts = index.counts().context("counting the library")?;
    println!(
        "library: {}, {} in {}, {}",
        plural(counts.videos, "video", "videos"),
        plural(counts.songs, "song", "songs"),
        plural(counts.albums, "album", "albums"),
        plural(counts.photos, "photo", "photos"),
    );
    let not_shown = index.not_shown().context("listing what is not shown")?;
    let (failed, not_media): (Vec<_>, Vec<_>) = not_shown
        .into_iter()
        .partition(|(_, status, _)| *status == ItemStatus::Failed);
    let print = |title: &str, rows: &[(PathBuf, String)]| {
        if !rows.is_empty() {
            println!("{title} ({}):", rows.len());
            for (path, reason) in rows {
                println!("  {}: {reason}", path.display());
            }
        }
    };
    let strip = |rows: Vec<(PathBuf, ItemStatus, String)>| -> Vec<(PathBuf, String)> {
        rows.into_iter()
            .map(|(path, _, reason)| (path, reason))
            .collect()
    };
    print("could not be read", &strip(failed));
    print("named like media but are not", &strip(not_media));
    print(
        "could not be entered or read",
        &index.walk_problems().context("listing walk problems")?,
    );
    Ok(())
}
