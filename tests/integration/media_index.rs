//! The library index over real folders and a real SQLite file: what a walk finds, what it
//! skips and why, incremental rescans, roots that go away and come back, and the lists the
//! browser shows.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use hearth_media::{
    Entry, EntryKind, Error, Index, ItemStatus, MediaKind, Metadata, RootScan, Section, Sort,
    scan_root,
};
use hearth_tests::services::TempDir;

const JPEG_HEAD: &[u8] = b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00";
const PNG_HEAD: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR";
const MP4_HEAD: &[u8] = b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41";
const FLAC_HEAD: &[u8] = b"fLaC\x00\x00\x00\x22";
const ID3_HEAD: &[u8] = b"ID3\x04\x00\x00\x00\x00\x00\x00";

fn write(root: &Path, relative: impl AsRef<Path>, bytes: &[u8]) -> PathBuf {
    let path = root.join(relative);
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("creating folders");
    std::fs::write(&path, bytes).expect("writing a file");
    path
}

fn synced(scan: RootScan) -> hearth_media::Changes {
    match scan {
        RootScan::Synced(changes) => changes,
        RootScan::Offline => panic!("the root was reported offline"),
    }
}

fn titles(entries: &[Entry]) -> Vec<&str> {
    entries.iter().map(|entry| entry.title.as_str()).collect()
}

/// A tree with media, decoys and traps, as an owner's folders might hold.
fn sample_tree(root: &Path) {
    write(root, "Videos/holiday.mp4", MP4_HEAD);
    write(root, "Videos/renamed-video", MP4_HEAD);
    write(root, "Music/Album/01 song.flac", FLAC_HEAD);
    write(root, "Photos/a.JPG", JPEG_HEAD);
    write(root, "Photos/scan", PNG_HEAD);
    write(root, "notes.txt", b"not media, never read");
    write(root, ".hidden/secret.mp4", MP4_HEAD);
    write(root, "Videos/.partial.mp4", MP4_HEAD);
    write(
        root,
        "random.mp4",
        b"these bytes are no video at all, only text",
    );
    write(root, "empty.jpg", b"");
    write(
        root,
        Path::new(OsStr::from_bytes(b"Music/caf\xe9.mp3")),
        ID3_HEAD,
    );
    std::os::unix::fs::symlink("..", root.join("Videos/loop")).expect("a link loop");
    std::os::unix::fs::symlink("../Photos/a.JPG", root.join("Videos/same-photo.jpg"))
        .expect("a link to a file");
}

#[test]
fn a_walk_indexes_media_and_records_why_others_are_left_out() {
    let dir = TempDir::new("media-index");
    let root = dir.path().join("library");
    sample_tree(&root);
    let mut index = Index::open(&dir.path().join("index.sqlite")).expect("opening the index");

    let changes = synced(scan_root(&mut index, &root, 1_000).expect("scanning"));
    // Seven media candidates (hidden ones and the second name of the linked photo aside),
    // two of which are not media.
    assert_eq!(changes.added, 8, "{changes:?}");
    assert_eq!(changes.not_media, 2, "{changes:?}");

    let item = |relative: &[u8]| {
        index
            .item(&root.join(OsStr::from_bytes(relative)))
            .expect("reading an item")
    };
    let video = item(b"Videos/holiday.mp4").expect("the video is indexed");
    assert_eq!(
        (video.kind, video.status),
        (MediaKind::Video, ItemStatus::Pending)
    );
    let renamed = item(b"Videos/renamed-video").expect("a video without an extension is found");
    assert_eq!(renamed.kind, MediaKind::Video);
    let scan = item(b"Photos/scan").expect("a PNG without an extension is found");
    assert_eq!(scan.kind, MediaKind::Photo);
    let odd_name = item(b"Music/caf\xe9.mp3").expect("a name that is not UTF-8 is indexed");
    assert_eq!(
        odd_name.path.as_os_str().as_bytes(),
        root.join(OsStr::from_bytes(b"Music/caf\xe9.mp3"))
            .as_os_str()
            .as_bytes()
    );
    assert_eq!(odd_name.kind, MediaKind::Audio);

    let random = item(b"random.mp4").expect("a decoy is recorded");
    assert_eq!(random.status, ItemStatus::NotMedia);
    assert!(
        random
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("not a media format")),
        "{random:?}"
    );
    let empty = item(b"empty.jpg").expect("an empty file is recorded");
    assert_eq!(
        (empty.status, empty.reason.as_deref()),
        (ItemStatus::NotMedia, Some("empty file"))
    );

    assert!(
        item(b".hidden/secret.mp4").is_none(),
        "hidden folders are skipped"
    );
    assert!(
        item(b"Videos/.partial.mp4").is_none(),
        "hidden files are skipped"
    );
    assert!(item(b"notes.txt").is_none(), "documents are not media");
    assert!(
        item(b"Videos/same-photo.jpg").is_none(),
        "a file reached twice is listed once"
    );

    let problems = index.walk_problems().expect("listing problems");
    assert!(
        problems
            .iter()
            .any(|(path, reason)| path.ends_with("Videos/loop") && reason.contains("loop")),
        "the link loop is recorded: {problems:?}"
    );

    let counts = index.counts().expect("counting");
    assert_eq!(
        (counts.videos, counts.songs, counts.photos),
        (2, 2, 2),
        "{counts:?}"
    );
    assert_eq!(counts.pending, 6);
}

#[test]
fn rescans_touch_only_what_changed() {
    let dir = TempDir::new("media-rescan");
    let root = dir.path().join("library");
    sample_tree(&root);
    let mut index = Index::open(&dir.path().join("index.sqlite")).expect("opening the index");
    synced(scan_root(&mut index, &root, 1_000).expect("scanning"));
    let holiday = root.join("Videos/holiday.mp4");
    let pending = index.pending(100).expect("pending items");
    let holiday_item = pending
        .iter()
        .find(|item| item.path == holiday)
        .expect("the video waits for the helper")
        .clone();
    index
        .record_ready(
            &holiday_item,
            &Metadata {
                title: Some("Holiday".into()),
                ..Metadata::default()
            },
            None,
        )
        .expect("storing metadata");

    let unchanged = synced(scan_root(&mut index, &root, 2_000).expect("rescanning"));
    assert!(!unchanged.any(), "{unchanged:?}");
    assert_eq!(unchanged.unchanged, 8);
    assert_eq!(
        index
            .item(&holiday)
            .expect("reading")
            .map(|item| item.status),
        Some(ItemStatus::Ready),
        "an unchanged file keeps its metadata"
    );

    // One added, one changed (its size), one removed.
    write(&root, "Videos/new.webm", b"\x1A\x45\xDF\xA3 a new video");
    write(&root, "Videos/holiday.mp4", &[MP4_HEAD, b"more"].concat());
    std::fs::remove_file(root.join("Photos/a.JPG")).expect("removing a photo");
    let changes = synced(scan_root(&mut index, &root, 3_000).expect("rescanning"));
    assert_eq!(
        (changes.added, changes.changed, changes.removed),
        (1, 1, 1),
        "{changes:?}"
    );
    let holiday_now = index
        .item(&holiday)
        .expect("reading")
        .expect("still indexed");
    assert_eq!(
        holiday_now.status,
        ItemStatus::Pending,
        "a changed file is read again"
    );
    assert_eq!(holiday_now.metadata, Metadata::default());
    assert!(
        index
            .item(&root.join("Photos/a.JPG"))
            .expect("reading")
            .is_none()
    );
    assert!(
        index
            .item(&root.join("Videos/new.webm"))
            .expect("reading")
            .is_some()
    );
}

#[test]
fn a_result_for_a_file_that_changed_meanwhile_is_dropped() {
    let dir = TempDir::new("media-stale");
    let root = dir.path().join("library");
    write(&root, "clip.mp4", MP4_HEAD);
    let mut index = Index::open(&dir.path().join("index.sqlite")).expect("opening the index");
    synced(scan_root(&mut index, &root, 1_000).expect("scanning"));
    let handed_out = index.pending(10).expect("pending").remove(0);
    write(&root, "clip.mp4", &[MP4_HEAD, b"rewritten"].concat());
    synced(scan_root(&mut index, &root, 2_000).expect("rescanning"));
    index
        .record_ready(
            &handed_out,
            &Metadata {
                title: Some("Old".into()),
                ..Metadata::default()
            },
            None,
        )
        .expect("storing");
    let item = index
        .item(&root.join("clip.mp4"))
        .expect("reading")
        .expect("indexed");
    assert_eq!(
        (item.status, item.metadata.title),
        (ItemStatus::Pending, None)
    );
}

#[test]
fn a_root_that_goes_away_keeps_its_items_hidden_until_it_returns() {
    let dir = TempDir::new("media-offline");
    let root = dir.path().join("drive");
    sample_tree(&root);
    let mut index = Index::open(&dir.path().join("index.sqlite")).expect("opening the index");
    synced(scan_root(&mut index, &root, 1_000).expect("scanning"));
    for item in index.pending(100).expect("pending") {
        index
            .record_ready(&item, &Metadata::default(), None)
            .expect("storing");
    }

    let away = dir.path().join("drive-away");
    std::fs::rename(&root, &away).expect("taking the drive away");
    assert_eq!(
        scan_root(&mut index, &root, 2_000).expect("scanning"),
        RootScan::Offline
    );
    assert_eq!(
        index.counts().expect("counting").videos,
        0,
        "an absent drive's items are hidden"
    );
    assert!(
        index
            .entries(&Section::RecentlyAdded, "", Sort::Added, 50)
            .expect("listing")
            .is_empty()
    );

    std::fs::rename(&away, &root).expect("bringing the drive back");
    let changes = synced(scan_root(&mut index, &root, 3_000).expect("scanning"));
    assert_eq!(
        (changes.added, changes.removed, changes.unchanged),
        (0, 0, 8),
        "{changes:?}"
    );
    assert_eq!(index.counts().expect("counting").videos, 2);
    assert_eq!(
        index.pending(100).expect("pending").len(),
        0,
        "nothing is read twice"
    );
}

#[test]
fn lists_search_and_sort() {
    let dir = TempDir::new("media-lists");
    let root = dir.path().join("library");
    let tracks = [
        ("Music/Blue/01.flac", "Morning", "Ada", "Blue", 1, 2019),
        ("Music/Blue/02.flac", "Noon", "Ada", "Blue", 2, 2019),
        ("Music/Red/01.flac", "Evening", "Ben", "Red", 1, 2023),
    ];
    for (relative, ..) in tracks {
        write(&root, relative, FLAC_HEAD);
    }
    write(&root, "Videos/zebra.mp4", MP4_HEAD);
    write(&root, "Videos/apple.mp4", MP4_HEAD);
    let mut index = Index::open(&dir.path().join("index.sqlite")).expect("opening the index");
    synced(scan_root(&mut index, &root, 1_000).expect("scanning"));
    for item in index.pending(100).expect("pending") {
        let metadata = tracks
            .iter()
            .find(|track| root.join(track.0) == item.path)
            .map(|&(_, title, artist, album, track, year)| Metadata {
                title: Some(title.into()),
                artist: Some(artist.into()),
                album: Some(album.into()),
                track: Some(track),
                year: Some(year),
                duration_ms: Some(60_000),
                ..Metadata::default()
            })
            .unwrap_or_default();
        index.record_ready(&item, &metadata, None).expect("storing");
    }

    let list = |section: Section, search: &str, sort: Sort| {
        index.entries(&section, search, sort, 100).expect("listing")
    };
    assert_eq!(
        titles(&list(Section::Videos, "", Sort::Name)),
        ["apple", "zebra"]
    );
    assert_eq!(
        titles(&list(Section::Songs, "", Sort::Name)),
        ["Evening", "Morning", "Noon"]
    );
    assert_eq!(
        titles(&list(Section::Songs, "ADA", Sort::Name)),
        ["Morning", "Noon"]
    );
    assert_eq!(
        titles(&list(Section::Songs, "%", Sort::Name)),
        Vec::<&str>::new()
    );
    let albums = list(Section::Albums, "", Sort::Name);
    assert_eq!(titles(&albums), ["Blue", "Red"]);
    assert_eq!(
        (albums[0].kind, albums[0].count, albums[0].artist.as_deref()),
        (EntryKind::Album, 2, Some("Ada"))
    );
    assert_eq!(
        titles(&list(Section::Albums, "", Sort::Date)),
        ["Red", "Blue"]
    );
    assert_eq!(
        titles(&list(
            Section::Album {
                album: "Blue".into(),
                artist: Some("Ada".into())
            },
            "",
            Sort::Name
        )),
        ["Morning", "Noon"]
    );
    assert_eq!(
        titles(&list(Section::Artists, "", Sort::Name)),
        ["Ada", "Ben"]
    );
    assert_eq!(
        titles(&list(Section::Artist("Ben".into()), "", Sort::Name)),
        ["Red"]
    );
    assert_eq!(list(Section::RecentlyAdded, "", Sort::Added).len(), 5);
}

#[test]
fn an_index_from_a_newer_hearth_is_refused_and_left_alone() {
    let dir = TempDir::new("media-schema");
    let file = dir.path().join("index.sqlite");
    drop(Index::open(&file).expect("creating the index"));
    // SQLite keeps `PRAGMA user_version` as four big-endian bytes at offset 60 of the file.
    let mut bytes = std::fs::read(&file).expect("reading the index");
    bytes[60..64].copy_from_slice(&99u32.to_be_bytes());
    std::fs::write(&file, &bytes).expect("writing the index");
    match Index::open(&file) {
        Err(Error::NewerIndex { found: 99, .. }) => {}
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(Index::open_existing(&file).is_none());
    assert_eq!(
        std::fs::read(&file).expect("reading the index"),
        bytes,
        "the file is untouched"
    );
}
