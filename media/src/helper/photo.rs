//! Photos in the helper: the header checked before anything is allocated, EXIF read, and a
//! small picture decoded straight at a reduced size where the format allows (JPEG's DCT
//! scaling decodes a 12-megapixel photo at an eighth of its size), then turned upright.

use std::fs::File;
use std::io::{BufReader, Cursor, Read, Seek};
use std::path::Path;

use image::{DynamicImage, ImageFormat, ImageReader, Limits};

use crate::index::Metadata;

/// The most pixels a picture may declare; anything larger is refused from its header.
pub const MAX_PIXELS: u64 = 120_000_000;
/// The most bytes of cover art or picture data read into memory at once.
pub const MAX_PICTURE_BYTES: u64 = 64 * 1024 * 1024;

/// A decoded picture, small enough for a thumbnail, upright.
#[derive(Debug)]
pub struct Picture {
    pub width: u32,
    pub height: u32,
    pub rgb: Vec<u8>,
}

fn check_dimensions(width: u32, height: u32) -> Result<(), String> {
    if width == 0 || height == 0 {
        return Err(format!("declares an empty picture ({width}x{height})"));
    }
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(format!(
            "declares {width}x{height} pixels, more than the {} megapixels Hearth reads",
            MAX_PIXELS / 1_000_000
        ));
    }
    Ok(())
}

fn limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_image_width = Some(65_535);
    limits.max_image_height = Some(65_535);
    limits.max_alloc = Some(MAX_PIXELS * 4);
    limits
}

/// Reads a photo file: its metadata and, if `longest_side` is given, a picture of about
/// that size.
pub fn read_photo(
    path: &Path,
    longest_side: Option<u32>,
) -> Result<(Metadata, Option<Picture>), String> {
    let open = || {
        File::open(path)
            .map(BufReader::new)
            .map_err(|error| format!("cannot be opened: {error}"))
    };
    let (format, width, height) = header(open()?)?;
    let exif = read_exif(open()?);
    let orientation = exif.orientation.unwrap_or(1);
    let (shown_width, shown_height) = if orientation >= 5 {
        (height, width)
    } else {
        (width, height)
    };
    let metadata = Metadata {
        width: Some(shown_width),
        height: Some(shown_height),
        taken_at: exif.taken_at,
        orientation: exif.orientation,
        camera: exif.camera,
        ..Metadata::default()
    };
    let picture = match longest_side {
        Some(side) => Some(decode_small(open()?, format, side, orientation)?),
        None => None,
    };
    Ok((metadata, picture))
}

/// Decodes picture bytes (embedded cover art) into a small upright picture, with the same
/// header checks as a file.
pub fn picture_from_bytes(bytes: &[u8], longest_side: u32) -> Result<Picture, String> {
    let (format, ..) = header(Cursor::new(bytes))?;
    let orientation = read_exif(Cursor::new(bytes)).orientation.unwrap_or(1);
    decode_small(Cursor::new(bytes), format, longest_side, orientation)
}

/// The format and declared size, from the header alone.
fn header<R: Read + Seek + std::io::BufRead>(source: R) -> Result<(ImageFormat, u32, u32), String> {
    let reader = ImageReader::new(source)
        .with_guessed_format()
        .map_err(|error| format!("cannot be read: {error}"))?;
    let format = reader
        .format()
        .ok_or_else(|| "is not a picture format Hearth reads".to_string())?;
    let (width, height) = reader
        .into_dimensions()
        .map_err(|error| format!("has a broken header: {error}"))?;
    check_dimensions(width, height)?;
    Ok((format, width, height))
}

fn decode_small<R: Read + Seek + std::io::BufRead>(
    source: R,
    format: ImageFormat,
    longest_side: u32,
    orientation: u8,
) -> Result<Picture, String> {
    let image = if format == ImageFormat::Jpeg {
        decode_jpeg_scaled(source, longest_side)?
    } else {
        let mut reader = ImageReader::with_format(source, format);
        reader.limits(limits());
        reader
            .decode()
            .map_err(|error| format!("cannot be decoded: {error}"))?
    };
    let small = if image.width().max(image.height()) > longest_side {
        image.thumbnail(longest_side, longest_side)
    } else {
        image
    };
    let upright = match orientation {
        2 => small.fliph(),
        3 => small.rotate180(),
        4 => small.flipv(),
        5 => small.rotate90().fliph(),
        6 => small.rotate90(),
        7 => small.rotate270().fliph(),
        8 => small.rotate270(),
        _ => small,
    };
    let rgb = upright.into_rgb8();
    Ok(Picture {
        width: rgb.width(),
        height: rgb.height(),
        rgb: rgb.into_raw(),
    })
}

/// JPEG decoded at the smallest DCT scale (1/1 to 1/8) that still covers `longest_side`.
fn decode_jpeg_scaled<R: Read>(source: R, longest_side: u32) -> Result<DynamicImage, String> {
    let broken = |error: jpeg_decoder::Error| format!("cannot be decoded: {error}");
    let mut decoder = jpeg_decoder::Decoder::new(source);
    decoder.read_info().map_err(broken)?;
    let info = decoder.info().ok_or("has no JPEG header")?;
    check_dimensions(u32::from(info.width), u32::from(info.height))?;
    let want = longest_side.min(u32::from(u16::MAX)) as u16;
    let (width, height) = decoder.scale(want, want).map_err(broken)?;
    let pixels = decoder.decode().map_err(broken)?;
    let (width, height) = (u32::from(width), u32::from(height));
    let short = || "cannot be decoded: fewer pixels than its header declares".to_string();
    Ok(match info.pixel_format {
        jpeg_decoder::PixelFormat::L8 => DynamicImage::ImageLuma8(
            image::GrayImage::from_raw(width, height, pixels).ok_or_else(short)?,
        ),
        jpeg_decoder::PixelFormat::L16 => {
            let gray: Vec<u8> = pixels.chunks_exact(2).map(|pair| pair[0]).collect();
            DynamicImage::ImageLuma8(
                image::GrayImage::from_raw(width, height, gray).ok_or_else(short)?,
            )
        }
        jpeg_decoder::PixelFormat::RGB24 => DynamicImage::ImageRgb8(
            image::RgbImage::from_raw(width, height, pixels).ok_or_else(short)?,
        ),
        jpeg_decoder::PixelFormat::CMYK32 => {
            // Adobe writes inverted CMYK; this is the usual approximation without a profile.
            let rgb: Vec<u8> = pixels
                .chunks_exact(4)
                .flat_map(|cmyk| {
                    let k = u16::from(cmyk[3]);
                    [cmyk[0], cmyk[1], cmyk[2]].map(|c| (u16::from(c) * k / 255) as u8)
                })
                .collect();
            DynamicImage::ImageRgb8(
                image::RgbImage::from_raw(width, height, rgb).ok_or_else(short)?,
            )
        }
    })
}

/// What EXIF says, where it says anything.
#[derive(Debug, Default)]
struct Exif {
    orientation: Option<u8>,
    taken_at: Option<i64>,
    camera: Option<String>,
}

fn read_exif<R: Read + Seek + std::io::BufRead>(mut source: R) -> Exif {
    let Ok(exif) = exif::Reader::new().read_from_container(&mut source) else {
        return Exif::default();
    };
    let field = |tag| exif.get_field(tag, exif::In::PRIMARY);
    let orientation = field(exif::Tag::Orientation)
        .and_then(|field| field.value.get_uint(0))
        .filter(|value| (1..=8).contains(value))
        .map(|value| value as u8);
    let taken_at = [exif::Tag::DateTimeOriginal, exif::Tag::DateTime]
        .into_iter()
        .find_map(|tag| match &field(tag)?.value {
            exif::Value::Ascii(values) => {
                let date = exif::DateTime::from_ascii(values.first()?).ok()?;
                let day = chrono::NaiveDate::from_ymd_opt(
                    i32::from(date.year),
                    u32::from(date.month),
                    u32::from(date.day),
                )?;
                let time = day.and_hms_opt(
                    u32::from(date.hour),
                    u32::from(date.minute),
                    u32::from(date.second),
                )?;
                Some(time.and_utc().timestamp())
            }
            _ => None,
        });
    let text = |tag| {
        field(tag)
            .map(|field| {
                field
                    .display_value()
                    .to_string()
                    .trim_matches('"')
                    .trim()
                    .to_string()
            })
            .filter(|text| !text.is_empty())
    };
    let camera = match (text(exif::Tag::Make), text(exif::Tag::Model)) {
        (Some(make), Some(model)) if model.starts_with(&make) => Some(model),
        (Some(make), Some(model)) => Some(format!("{make} {model}")),
        (make, model) => make.or(model),
    };
    Exif {
        orientation,
        taken_at,
        camera,
    }
}

/// Reads at most [`MAX_PICTURE_BYTES`] of a small file such as `cover.jpg`.
pub fn read_bounded(path: &Path) -> Result<Vec<u8>, String> {
    let file = File::open(path).map_err(|error| format!("cannot be opened: {error}"))?;
    let mut bytes = Vec::new();
    file.take(MAX_PICTURE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|error| format!("cannot be read: {error}"))?;
    if bytes.len() as u64 > MAX_PICTURE_BYTES {
        return Err("is larger than a picture Hearth reads".to_string());
    }
    Ok(bytes)
}
