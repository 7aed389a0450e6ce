//! The media helper over real media made by GStreamer and the image crate, and over a
//! hostile set made here: metadata, freedesktop thumbnails, and files that crash, hang or
//! bloat a reader costing only themselves.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use hearth_media::helper::protocol::{Reply, Request};
use hearth_media::helper::{Helper, HelperLimits, helper_binary};
use hearth_media::reading::Reader;
use hearth_media::thumbnail::{
    ThumbnailFields, ThumbnailSize, file_uri, read_fields, thumbnail_path, write_png,
};
use hearth_media::{Index, Item, ItemStatus, MediaKind, RootScan, scan_root};
use hearth_tests::media::png_bytes;
use hearth_tests::services::TempDir;

/// The sample library, made once per test run by the helper binary.
fn samples(dir: &Path) -> PathBuf {
    let folder = dir.join("library");
    let status = Command::new(helper_binary())
        .arg("--make-samples")
        .arg(&folder)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("starting hearth-media-helper (built by `cargo xtask test`)");
    assert!(status.success(), "making sample media failed");
    folder
}

fn read_library(dir: &Path, root: &Path, limits: HelperLimits) -> (Index, Reader) {
    let mut index = Index::open(&dir.join("index.sqlite")).expect("opening the index");
    assert!(matches!(
        scan_root(&mut index, root, 1_000).expect("scanning"),
        RootScan::Synced(_)
    ));
    let mut reader = Reader::new(
        helper_binary(),
        limits,
        2,
        dir.join("thumbnails"),
        ThumbnailSize::Large,
    );
    reader.read_pending(&index, |_| {}).expect("reading");
    (index, reader)
}

fn item(index: &Index, path: PathBuf) -> Item {
    index
        .item(&path)
        .expect("reading the index")
        .unwrap_or_else(|| panic!("{} is not indexed", path.display()))
}

fn thumbnail_pixels(file: &Path) -> (u32, u32, f64) {
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(file).expect("opening a thumbnail"),
    ));
    let mut reader = decoder.read_info().expect("a PNG thumbnail");
    let mut pixels = vec![0; reader.output_buffer_size().expect("a size")];
    let frame = reader.next_frame(&mut pixels).expect("thumbnail pixels");
    let bytes = &pixels[..frame.buffer_size()];
    let mean = bytes.iter().map(|&b| f64::from(b)).sum::<f64>() / bytes.len() as f64;
    (frame.width, frame.height, mean)
}

#[test]
fn sample_media_gets_metadata_and_freedesktop_thumbnails() {
    let dir = TempDir::new("media-helper");
    let root = samples(dir.path());
    let (index, _) = read_library(dir.path(), &root, HelperLimits::default());
    let thumbnails = dir.path().join("thumbnails");

    let harbour = item(&index, root.join("Videos/Harbour at dusk.mp4"));
    assert_eq!(harbour.status, ItemStatus::Ready, "{harbour:?}");
    let metadata = &harbour.metadata;
    assert_eq!((metadata.width, metadata.height), (Some(640), Some(360)));
    assert!(
        metadata
            .duration_ms
            .is_some_and(|ms| (3_900..=4_200).contains(&ms)),
        "{metadata:?}"
    );
    assert!(
        metadata
            .video_codec
            .as_deref()
            .is_some_and(|c| c.contains("H.264")),
        "{metadata:?}"
    );
    assert!(
        metadata
            .audio_codec
            .as_deref()
            .is_some_and(|c| c.contains("AAC")),
        "{metadata:?}"
    );
    assert_eq!(metadata.title.as_deref(), Some("Harbour at dusk"));

    let train = item(&index, root.join("Videos/Night train.webm"));
    assert!(
        train
            .metadata
            .video_codec
            .as_deref()
            .is_some_and(|c| c.contains("VP8")),
        "{train:?}"
    );
    assert!(
        train
            .metadata
            .audio_codec
            .as_deref()
            .is_some_and(|c| c.contains("Vorbis")),
        "{train:?}"
    );

    for (name, title, track, codec) in [
        ("01 Morning.flac", "Morning", 1, "FLAC"),
        ("02 Noon.mp3", "Noon", 2, "MP3"),
        ("03 Evening.opus", "Evening", 3, "Opus"),
    ] {
        let song = item(&index, root.join("Music/Ada Lind - Blue Hour").join(name));
        let metadata = &song.metadata;
        assert_eq!(song.status, ItemStatus::Ready, "{song:?}");
        assert_eq!(metadata.title.as_deref(), Some(title), "{name}");
        assert_eq!(metadata.artist.as_deref(), Some("Ada Lind"), "{name}");
        assert_eq!(metadata.album.as_deref(), Some("Blue Hour"), "{name}");
        assert_eq!(metadata.track, Some(track), "{name}");
        assert!(
            metadata
                .audio_codec
                .as_deref()
                .is_some_and(|c| c.contains(codec)),
            "{name}: {metadata:?}"
        );
        assert!(
            metadata
                .duration_ms
                .is_some_and(|ms| (2_800..=3_300).contains(&ms)),
            "{name}: {metadata:?}"
        );
        // No embedded art: the album's cover.jpg is the picture.
        let thumbnail = song
            .thumbnail
            .as_deref()
            .expect("the cover is the song's thumbnail");
        assert_eq!(thumbnail_pixels(thumbnail).0, 256);
    }

    let portrait = item(&index, root.join("Pictures/Portrait of a lighthouse.jpg"));
    let metadata = &portrait.metadata;
    assert_eq!(
        (metadata.width, metadata.height),
        (Some(1200), Some(1600)),
        "shown upright"
    );
    assert_eq!(metadata.orientation, Some(6));
    assert_eq!(
        metadata.taken_at,
        Some(1_697_904_310),
        "2023-10-21 16:05:10"
    );
    assert_eq!(metadata.camera.as_deref(), Some("Hearth Sample Camera"));

    // Every thumbnail sits where the standard says, with its fields, private to the user.
    for (relative, expected_size) in [
        ("Pictures/Portrait of a lighthouse.jpg", (192, 256)),
        ("Pictures/Coast.jpg", (256, 192)),
        ("Pictures/Dunes.png", (256, 171)),
        ("Videos/Harbour at dusk.mp4", (256, 144)),
        ("Videos/Fade in.mp4", (256, 144)),
    ] {
        let path = root.join(relative);
        let stored = item(&index, path.clone());
        let uri = file_uri(&path);
        let expected = thumbnail_path(&thumbnails, ThumbnailSize::Large, &uri);
        assert_eq!(
            stored.thumbnail.as_deref(),
            Some(expected.as_path()),
            "{relative}"
        );
        assert!(expected.starts_with(thumbnails.join("large")));
        let fields = read_fields(&expected).expect("thumbnail fields");
        assert_eq!(fields.uri, uri);
        assert_eq!(fields.mtime, stored.mtime_ns / 1_000_000_000);
        assert_eq!(fields.size, Some(stored.size));
        let mode = std::fs::metadata(&expected)
            .expect("a thumbnail")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{relative}");
        let (width, height, mean) = thumbnail_pixels(&expected);
        assert_eq!((width, height), expected_size, "{relative}");
        assert!(
            mean > 40.0,
            "{relative} has a picture, not a black frame (mean {mean})"
        );
        // The `normal` size comes from the same decode, with the same fields.
        let normal = thumbnail_path(&thumbnails, ThumbnailSize::Normal, &uri);
        assert_eq!(read_fields(&normal), Some(fields), "{relative}");
        let (width, height, normal_mean) = thumbnail_pixels(&normal);
        assert_eq!(width.max(height), 128, "{relative}");
        assert!(
            width.abs_diff(expected_size.0 / 2) <= 1 && height.abs_diff(expected_size.1 / 2) <= 1,
            "{relative}: {width}x{height}"
        );
        assert!(
            (normal_mean - mean).abs() < 8.0,
            "{relative}: {normal_mean} vs {mean}"
        );
    }
}

/// `mp3` with its ID3v2 tag replaced by one (ID3v2.3) holding a title and `cover` as its
/// front cover (APIC), as tagging programs embed album art.
fn with_embedded_cover(mp3: &[u8], title: &str, cover: &[u8]) -> Vec<u8> {
    // Skip the tag the encoder wrote: "ID3", version, flags, a syncsafe size.
    let audio = if mp3.starts_with(b"ID3") {
        let size = mp3[6..10]
            .iter()
            .fold(0usize, |size, byte| (size << 7) | usize::from(byte & 0x7f));
        let footer = if mp3[5] & 0x10 != 0 { 10 } else { 0 };
        &mp3[10 + size + footer..]
    } else {
        mp3
    };
    let frame = |id: &[u8; 4], body: &[u8]| {
        let mut frame = id.to_vec();
        frame.extend_from_slice(&(body.len() as u32).to_be_bytes());
        frame.extend_from_slice(&[0, 0]);
        frame.extend_from_slice(body);
        frame
    };
    let mut title_body = vec![0u8];
    title_body.extend_from_slice(title.as_bytes());
    let mut picture = vec![0u8];
    picture.extend_from_slice(b"image/jpeg\0");
    picture.push(3); // the front cover
    picture.push(0); // no description
    picture.extend_from_slice(cover);
    let mut frames = frame(b"TIT2", &title_body);
    frames.extend(frame(b"APIC", &picture));
    let size = frames.len();
    let mut tag = b"ID3\x03\x00\x00".to_vec();
    tag.extend((0..4).rev().map(|i| ((size >> (7 * i)) & 0x7f) as u8));
    tag.extend(frames);
    tag.extend_from_slice(audio);
    tag
}

#[test]
fn art_embedded_in_a_song_is_its_thumbnail() {
    let dir = TempDir::new("media-embedded-art");
    let samples = samples(dir.path());
    let root = dir.path().join("embedded");
    std::fs::create_dir_all(root.join("Singles")).expect("a folder");
    // A red cover, and no cover.jpg beside the song to fall back on.
    let mut cover = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut cover, 90)
        .encode_image(&image::RgbImage::from_pixel(
            300,
            300,
            image::Rgb([220, 30, 30]),
        ))
        .expect("a JPEG cover");
    let mp3 =
        std::fs::read(samples.join("Music/Ada Lind - Blue Hour/02 Noon.mp3")).expect("an MP3");
    let song = root.join("Singles/Red.mp3");
    std::fs::write(&song, with_embedded_cover(&mp3, "Red", &cover)).expect("the song");

    let (index, _) = read_library(dir.path(), &root, HelperLimits::default());
    let stored = item(&index, song);
    assert_eq!(stored.status, ItemStatus::Ready, "{stored:?}");
    assert_eq!(stored.metadata.title.as_deref(), Some("Red"));
    let thumbnail = stored
        .thumbnail
        .as_deref()
        .expect("the embedded art is the thumbnail");
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(thumbnail).expect("the thumbnail"),
    ));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size().expect("a size")];
    let frame = reader.next_frame(&mut pixels).expect("pixels");
    assert_eq!((frame.width, frame.height), (256, 256));
    let channels = frame.buffer_size() / (frame.width * frame.height) as usize;
    let centre = ((128 * frame.width + 128) as usize) * channels;
    let (r, g, b) = (pixels[centre], pixels[centre + 1], pixels[centre + 2]);
    assert!(
        r > 180 && g < 80 && b < 80,
        "the red cover, not something else: {r} {g} {b}"
    );
}

#[test]
fn a_thumbnail_another_program_made_is_used_as_it_is() {
    let dir = TempDir::new("media-shared-thumbnail");
    let root = dir.path().join("library");
    std::fs::create_dir_all(&root).expect("a folder");
    let photo = root.join("made elsewhere.png");
    std::fs::write(&photo, png_bytes(64, 48, 120)).expect("writing a photo");
    let mtime = std::fs::metadata(&photo)
        .expect("a photo")
        .modified()
        .expect("a time")
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after the epoch")
        .as_secs() as i64;
    let thumbnails = dir.path().join("thumbnails");
    let uri = file_uri(&photo);
    let theirs = thumbnail_path(&thumbnails, ThumbnailSize::Large, &uri);
    let fields = ThumbnailFields {
        uri,
        mtime,
        size: None,
        mime: Some("image/png".into()),
    };
    write_png(&theirs, 2, 2, &[9; 12], &fields).expect("writing their thumbnail");
    let before = std::fs::read(&theirs).expect("their thumbnail");

    let (index, _) = read_library(dir.path(), &root, HelperLimits::default());
    let stored = item(&index, photo);
    assert_eq!(stored.status, ItemStatus::Ready);
    assert_eq!(stored.metadata.width, Some(64));
    assert_eq!(stored.thumbnail.as_deref(), Some(theirs.as_path()));
    assert_eq!(
        std::fs::read(&theirs).expect("their thumbnail"),
        before,
        "left as it was"
    );
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A PNG declaring `width` x `height`, with a few bytes of pixel data.
fn png_declaring(width: u32, height: u32) -> Vec<u8> {
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend_from_slice(&13u32.to_be_bytes());
    bytes.extend_from_slice(&ihdr);
    bytes.extend_from_slice(&crc32(&ihdr).to_be_bytes());
    for (name, data) in [
        (&b"IDAT"[..], &[0x78, 0x9C, 0x03, 0x00][..]),
        (b"IEND", b""),
    ] {
        bytes.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let chunk = [name, data].concat();
        bytes.extend_from_slice(&chunk);
        bytes.extend_from_slice(&crc32(&chunk).to_be_bytes());
    }
    bytes
}

/// A baseline JPEG header declaring `width` x `height`, with tables and a scan header but
/// only a few bytes of scan data.
fn jpeg_declaring(width: u16, height: u16) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xD8];
    bytes.extend_from_slice(&[0xFF, 0xDB, 0x00, 0x43, 0x00]);
    bytes.extend_from_slice(&[1; 64]);
    bytes.extend_from_slice(&[0xFF, 0xC0, 0x00, 0x0B, 0x08]);
    bytes.extend_from_slice(&height.to_be_bytes());
    bytes.extend_from_slice(&width.to_be_bytes());
    bytes.extend_from_slice(&[0x01, 0x01, 0x11, 0x00]);
    for class in [0x00, 0x10] {
        bytes.extend_from_slice(&[0xFF, 0xC4, 0x00, 0x14, class]);
        let mut counts = [0u8; 16];
        counts[0] = 1;
        bytes.extend_from_slice(&counts);
        bytes.push(0x00);
    }
    bytes.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00]);
    bytes.extend_from_slice(&[0x00; 32]);
    bytes.extend_from_slice(&[0xFF, 0xD9]);
    bytes
}

/// A GIF of `frames` one-pixel frames.
fn gif_with_frames(frames: usize) -> Vec<u8> {
    let mut bytes = b"GIF89a\x01\x00\x01\x00\x00\x00\x00".to_vec();
    for _ in 0..frames {
        bytes.extend_from_slice(&[0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0x80]);
        bytes.extend_from_slice(&[0, 0, 0, 255, 255, 255]);
        bytes.extend_from_slice(&[0x02, 0x02, 0x44, 0x01, 0x00]);
    }
    bytes.push(0x3B);
    bytes
}

#[test]
fn hostile_files_are_recorded_with_reasons_and_cost_only_themselves() {
    let dir = TempDir::new("media-hostile");
    let root = samples(dir.path());
    let hostile = root.join("Hostile");
    let write = |relative: &str, bytes: &[u8]| {
        let path = hostile.join(relative);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("folders");
        std::fs::write(&path, bytes).expect("writing a hostile file");
        path
    };
    let video = std::fs::read(root.join("Videos/Harbour at dusk.mp4")).expect("a video");
    let song =
        std::fs::read(root.join("Music/Ada Lind - Blue Hour/01 Morning.flac")).expect("a song");
    let truncated_video = write("truncated.mp4", &video[..video.len() / 3]);
    let truncated_song = write("truncated.flac", &song[..200]);
    let empty = write("empty.mp4", b"");
    let random: Vec<u8> = (0..64 * 1024).map(|_| fastrand::u8(..)).collect();
    let random_video = write("random.mkv", &random);
    let random_photo = write("random.jpg", &[&[0xFF, 0xD8, 0xFF][..], &random].concat());
    let huge_png = write("huge.png", &png_declaring(40_000, 40_000));
    let huge_jpeg = write("huge.jpg", &jpeg_declaring(30_000, 30_000));
    let many_frames = write("many frames.gif", &gif_with_frames(200_000));
    let deep: PathBuf = (0..120).fold(PathBuf::from("deep"), |path, level| {
        path.join(format!("d{level}"))
    });
    let deep_photo = write(
        deep.join("deep.jpg").to_str().expect("a UTF-8 path"),
        &std::fs::read(root.join("Pictures/Coast.jpg")).expect("a photo"),
    );
    std::os::unix::fs::symlink("..", hostile.join("loop")).expect("a link loop");

    let (index, reader) = read_library(dir.path(), &root, HelperLimits::default());
    let reason = |path: &Path| {
        let stored = item(&index, path.to_path_buf());
        assert_ne!(
            stored.status,
            ItemStatus::Ready,
            "{} should not read",
            path.display()
        );
        assert_ne!(
            stored.status,
            ItemStatus::Pending,
            "{} was not tried",
            path.display()
        );
        stored
            .reason
            .unwrap_or_else(|| panic!("{} has no reason", path.display()))
    };
    assert!(
        reason(&truncated_video).contains("read"),
        "{}",
        reason(&truncated_video)
    );
    assert!(!reason(&truncated_song).is_empty());
    assert_eq!(reason(&empty), "empty file");
    assert!(
        reason(&random_video).contains("not a media format"),
        "{}",
        reason(&random_video)
    );
    assert!(!reason(&random_photo).is_empty());
    assert!(
        reason(&huge_png).contains("declares 40000x40000"),
        "{}",
        reason(&huge_png)
    );
    assert!(
        reason(&huge_jpeg).contains("declares 30000x30000"),
        "{}",
        reason(&huge_jpeg)
    );
    let gif = item(&index, many_frames);
    assert_eq!(
        (gif.status, gif.metadata.width),
        (ItemStatus::Ready, Some(1)),
        "{gif:?}"
    );
    assert_eq!(
        item(&index, deep_photo).status,
        ItemStatus::Ready,
        "deep nesting is walked"
    );
    // The good files around them were all read.
    for relative in [
        "Videos/Harbour at dusk.mp4",
        "Pictures/Coast.jpg",
        "Music/Ada Lind - Blue Hour/02 Noon.mp3",
    ] {
        assert_eq!(
            item(&index, root.join(relative)).status,
            ItemStatus::Ready,
            "{relative}"
        );
    }
    assert!(
        index
            .walk_problems()
            .expect("problems")
            .iter()
            .any(|(path, _)| path.ends_with("Hostile/loop"))
    );
    drop(reader);
}

#[test]
fn a_reader_that_runs_out_of_memory_is_stopped_and_the_next_file_is_read() {
    let dir = TempDir::new("media-memory");
    let big = dir.path().join("big.png");
    // 6000x6000 passes the header check (36 megapixels) but needs 108 MB to decode.
    std::fs::write(&big, png_bytes(6000, 6000, 120)).expect("writing a big photo");
    let small = dir.path().join("small.png");
    std::fs::write(&small, png_bytes(300, 200, 120)).expect("writing a small photo");
    let limits = HelperLimits {
        memory_mib: 64,
        time: Duration::from_secs(20),
        ..HelperLimits::default()
    };
    let mut helper = Helper::new(helper_binary(), limits);
    let request = |path: &Path| Request {
        path: path.as_os_str().to_string_lossy().as_bytes().to_vec(),
        kind: MediaKind::Photo,
        mtime: 0,
        thumbnail: Some(hearth_media::helper::protocol::ThumbnailRequest {
            size: ThumbnailSize::Large,
            file: dir
                .path()
                .join("thumb.png")
                .to_string_lossy()
                .as_bytes()
                .to_vec(),
            uri: file_uri(path),
            smaller: Vec::new(),
        }),
        view: None,
    };
    match helper.read(&request(&big)).expect("the helper starts") {
        Reply::Failed { reason } => assert!(reason.contains("64 MiB"), "{reason}"),
        other => panic!("a 108 MB decode fit in 64 MiB: {other:?}"),
    }
    assert_eq!(helper.restarts, 1);
    assert!(matches!(
        helper.read(&request(&small)).expect("the helper starts"),
        Reply::Read {
            thumbnail: true,
            ..
        }
    ));
}

#[test]
fn a_reader_that_hangs_is_stopped_at_its_time_limit() {
    let dir = TempDir::new("media-hang");
    // Opening a pipe with no writer blocks forever: the helper hangs for real.
    let pipe = dir.path().join("stuck.jpg");
    let made = Command::new("mkfifo")
        .arg(&pipe)
        .status()
        .expect("running mkfifo");
    assert!(made.success());
    let photo = dir.path().join("fine.png");
    std::fs::write(&photo, png_bytes(40, 30, 120)).expect("writing a photo");
    let limits = HelperLimits {
        memory_mib: 256,
        time: Duration::from_secs(2),
        ..HelperLimits::default()
    };
    let mut helper = Helper::new(helper_binary(), limits);
    let request = |path: &Path| Request {
        path: path.as_os_str().to_string_lossy().as_bytes().to_vec(),
        kind: MediaKind::Photo,
        mtime: 0,
        thumbnail: None,
        view: None,
    };
    match helper.read(&request(&pipe)).expect("the helper starts") {
        Reply::Failed { reason } => assert!(reason.contains("longer than 2 s"), "{reason}"),
        other => panic!("a blocked read answered: {other:?}"),
    }
    assert_eq!(helper.restarts, 1);
    assert!(matches!(
        helper.read(&request(&photo)).expect("the helper starts"),
        Reply::Read { .. }
    ));
}

#[test]
fn an_idle_helper_exits_by_itself_and_the_next_file_starts_another_without_blame() {
    let dir = TempDir::new("media-idle");
    let photo = dir.path().join("fine.png");
    std::fs::write(&photo, png_bytes(40, 30, 120)).expect("writing a photo");
    let limits = HelperLimits {
        idle: Duration::from_millis(300),
        ..HelperLimits::default()
    };
    let mut helper = Helper::new(helper_binary(), limits);
    let request = Request {
        path: photo.as_os_str().to_string_lossy().as_bytes().to_vec(),
        kind: MediaKind::Photo,
        mtime: 0,
        thumbnail: None,
        view: None,
    };
    for round in 1..=3 {
        assert!(
            matches!(helper.read(&request), Ok(Reply::Read { .. })),
            "round {round}"
        );
        let pid = helper.pid().expect("a helper runs");
        // Gone soon after its idle time, and collected: no zombie waits for the next file.
        let proc = PathBuf::from(format!("/proc/{pid}"));
        let since = std::time::Instant::now();
        while proc.exists() {
            assert!(
                since.elapsed() < Duration::from_secs(10),
                "the idle helper {pid} is still there: {:?}",
                std::fs::read_to_string(proc.join("stat"))
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    assert_eq!((helper.starts, helper.restarts), (3, 0));
}

#[test]
fn a_helper_that_cannot_start_blames_no_file_and_leaves_it_to_be_read_later() {
    let dir = TempDir::new("media-no-helper");
    let root = dir.path().join("library");
    std::fs::create_dir_all(&root).expect("a folder");
    let photo = root.join("photo.png");
    std::fs::write(&photo, png_bytes(40, 30, 120)).expect("a photo");
    let mut index = Index::open(&dir.path().join("index.sqlite")).expect("an index");
    scan_root(&mut index, &root, 1_000).expect("scanning");
    let missing = dir.path().join("no-such-helper");
    let mut reader = Reader::new(
        missing.clone(),
        HelperLimits::default(),
        2,
        dir.path().join("thumbnails"),
        ThumbnailSize::Large,
    );
    match reader.read_pending(&index, |_| {}) {
        Err(hearth_media::Error::Helper { helper, reason }) => {
            assert_eq!(helper, missing);
            assert!(reason.contains("cannot start"), "{reason}");
        }
        other => panic!("expected the helper to be reported missing, got {other:?}"),
    }
    assert_eq!(item(&index, photo.clone()).status, ItemStatus::Pending);
    // With the helper back, the same file is read.
    let mut reader = Reader::new(
        helper_binary(),
        HelperLimits::default(),
        2,
        dir.path().join("thumbnails"),
        ThumbnailSize::Large,
    );
    reader.read_pending(&index, |_| {}).expect("reading");
    assert_eq!(item(&index, photo).status, ItemStatus::Ready);
}

#[test]
fn a_photo_for_a_2x_screen_gets_x_large_and_every_smaller_size_from_one_decode() {
    let dir = TempDir::new("media-xlarge");
    let root = dir.path().join("Pictures");
    std::fs::create_dir_all(&root).expect("a folder");
    let photo = root.join("Wide.jpg");
    let picture = image::RgbImage::from_fn(4000, 3000, |x, y| {
        image::Rgb([(x / 16) as u8, (y / 12) as u8, 120])
    });
    picture.save(&photo).expect("writing a 12-megapixel photo");
    let mut index = Index::open(&dir.path().join("index.sqlite")).expect("an index");
    scan_root(&mut index, &root, 1_000).expect("scanning");
    let thumbnails = dir.path().join("thumbnails");
    let mut reader = Reader::new(
        helper_binary(),
        HelperLimits::default(),
        1,
        thumbnails.clone(),
        ThumbnailSize::XLarge,
    );
    reader.read_pending(&index, |_| {}).expect("reading");

    let uri = file_uri(&photo);
    let stored = item(&index, photo.clone());
    let shown = thumbnail_path(&thumbnails, ThumbnailSize::XLarge, &uri);
    assert_eq!(stored.thumbnail.as_deref(), Some(shown.as_path()));
    let fields = read_fields(&shown).expect("x-large fields");
    for (size, expected) in [
        (ThumbnailSize::XLarge, (512, 384)),
        (ThumbnailSize::Large, (256, 192)),
        (ThumbnailSize::Normal, (128, 96)),
    ] {
        let file = thumbnail_path(&thumbnails, size, &uri);
        assert_eq!(read_fields(&file).as_ref(), Some(&fields), "{size:?}");
        let (width, height, _) = thumbnail_pixels(&file);
        assert_eq!((width, height), expected, "{size:?}");
    }
    assert!(
        !thumbnail_path(&thumbnails, ThumbnailSize::XxLarge, &uri).exists(),
        "nothing larger than what is shown"
    );
}
