//! The helper's side: limits itself, then answers requests from stdin until stdin closes or
//! nothing has been asked for a while (then it exits with [`IDLE_EXIT`], and Hearth starts
//! another when it needs one).

use std::ffi::OsString;
use std::io::{BufRead, Write};
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};

use super::av::AvReader;
use super::photo::{Picture, read_photo};
use super::protocol::{Envelope, Reply, Request, ThumbnailRequest, ViewRequest};
use super::view::write_view_file;
use crate::MediaKind;
use crate::thumbnail::{ThumbnailFields, file_uri, write_png};

/// The exit status of a helper that quit because nothing was asked of it for its idle time:
/// no file is to blame (EX_TEMPFAIL).
pub const IDLE_EXIT: i32 = 75;

/// Runs the helper with an address-space limit of `memory_mib`. Returns when stdin closes;
/// exits the process with [`IDLE_EXIT`] after `idle` without a request.
pub fn run(memory_mib: u64, idle: Option<std::time::Duration>) -> std::io::Result<()> {
    let bytes = memory_mib * 1024 * 1024;
    rlimit::setrlimit(rlimit::Resource::AS, bytes, bytes)?;
    rlimit::setrlimit(rlimit::Resource::CORE, 0, 0)?;
    let mut stdout = std::io::stdout().lock();
    // Lines come through a thread of their own, so that waiting for one can time out.
    let (sender, lines) = std::sync::mpsc::channel::<std::io::Result<String>>();
    std::thread::Builder::new()
        .name("helper-stdin".into())
        .spawn(move || {
            for line in std::io::stdin().lock().lines() {
                if sender.send(line).is_err() {
                    return;
                }
            }
        })?;
    // GStreamer starts on the first video or song, not before: a library of photos never
    // pays for its registry.
    let mut av: Option<Result<AvReader, String>> = None;
    loop {
        let next = match idle {
            Some(idle) => lines.recv_timeout(idle),
            None => lines
                .recv()
                .map_err(|_| std::sync::mpsc::RecvTimeoutError::Disconnected),
        };
        let line = match next {
            Ok(line) => line?,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => std::process::exit(IDLE_EXIT),
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return Ok(()),
        };
        let Ok(request) = serde_json::from_str::<Envelope<Request>>(&line) else {
            eprintln!("hearth-media-helper: a request that cannot be read was ignored");
            continue;
        };
        let reply = Envelope {
            id: request.id,
            body: handle(&request.body, &mut av),
        };
        let mut encoded = serde_json::to_string(&reply).map_err(std::io::Error::other)?;
        encoded.push('\n');
        stdout.write_all(encoded.as_bytes())?;
        stdout.flush()?;
    }
}

fn handle(request: &Request, av: &mut Option<Result<AvReader, String>>) -> Reply {
    let path = PathBuf::from(OsString::from_vec(request.path.clone()));
    if let Some(view) = &request.view {
        return view_photo(&path, view);
    }
    let side = request
        .thumbnail
        .as_ref()
        .map(|thumbnail| thumbnail.size.pixels());
    let result = match request.kind {
        MediaKind::Photo => read_photo(&path, side),
        MediaKind::Video | MediaKind::Audio => match av.get_or_insert_with(AvReader::new) {
            Ok(reader) => reader.read(&path, &file_uri(&path), side),
            Err(error) => Err(error.clone()),
        },
    };
    match result {
        Ok((metadata, picture)) => {
            // A cache that cannot be written costs the thumbnail, not the file's metadata.
            let thumbnail = match (picture, &request.thumbnail) {
                (Some(picture), Some(wanted)) => match save(&path, request.mtime, &picture, wanted)
                {
                    Ok(()) => true,
                    Err(reason) => {
                        eprintln!("hearth-media-helper: {reason}");
                        false
                    }
                },
                _ => false,
            };
            Reply::Read {
                metadata,
                thumbnail,
            }
        }
        Err(reason) => Reply::Failed { reason },
    }
}

/// Decodes a photo for the viewer into a raw RGB file.
fn view_photo(path: &Path, view: &ViewRequest) -> Reply {
    let file = PathBuf::from(OsString::from_vec(view.file.clone()));
    let picture = match read_photo(path, Some(view.longest_side)) {
        Ok((_, Some(picture))) => picture,
        Ok((_, None)) => {
            return Reply::Failed {
                reason: "no picture was decoded".into(),
            };
        }
        Err(reason) => return Reply::Failed { reason },
    };
    match write_view_file(&file, picture.width, picture.height, &picture.rgb) {
        Ok(()) => Reply::Read {
            metadata: crate::index::Metadata {
                width: Some(picture.width),
                height: Some(picture.height),
                ..crate::index::Metadata::default()
            },
            thumbnail: false,
        },
        Err(error) => Reply::Failed {
            reason: format!(
                "the picture cannot be written to {}: {error}",
                file.display()
            ),
        },
    }
}

/// Writes the thumbnail and its smaller sizes (each scaled down from the one decode).
fn save(
    path: &Path,
    mtime: i64,
    picture: &Picture,
    wanted: &ThumbnailRequest,
) -> Result<(), String> {
    let fields = ThumbnailFields {
        uri: wanted.uri.clone(),
        mtime,
        size: std::fs::metadata(path).ok().map(|metadata| metadata.len()),
        mime: None,
    };
    let write = |file: &[u8], width, height, rgb: &[u8]| {
        let file = PathBuf::from(OsString::from_vec(file.to_vec()));
        write_png(&file, width, height, rgb, &fields).map_err(|error| {
            format!(
                "its thumbnail cannot be written to {}: {error}",
                file.display()
            )
        })
    };
    write(&wanted.file, picture.width, picture.height, &picture.rgb)?;
    // Scaled down from the picture already decoded, copied once for all the sizes.
    let mut image = None;
    for smaller in &wanted.smaller {
        let side = smaller.size.pixels();
        let written = if picture.width.max(picture.height) <= side {
            write(&smaller.file, picture.width, picture.height, &picture.rgb)
        } else {
            let image = image.get_or_insert_with(|| {
                image::RgbImage::from_raw(picture.width, picture.height, picture.rgb.clone())
                    .map(image::DynamicImage::ImageRgb8)
            });
            let Some(image) = image else { break };
            let small = image.thumbnail(side, side).into_rgb8();
            write(&smaller.file, small.width(), small.height(), small.as_raw())
        };
        // The size Hearth shows is written; a smaller one that cannot be costs only itself.
        if let Err(reason) = written {
            eprintln!("hearth-media-helper: {reason}");
        }
    }
    Ok(())
}
