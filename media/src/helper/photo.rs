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
/// The largest JPEG file read (a 120-megapixel photo at the highest quality stays below it).
const MAX_JPEG_BYTES: u64 = 160 * 1024 * 1024;

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
    let (format, width, height) = match header(open()?) {
        Ok(found) => found,
        Err(reason) if starts_as_jpeg(open()?) => {
            let (width, height) =
                jpeg_dimensions(&read_bounded(path, MAX_JPEG_BYTES)?).map_err(|_| reason)?;
            (ImageFormat::Jpeg, width, height)
        }
        Err(reason) => return Err(reason),
    };
    // A JPEG to decode is read into memory (libjpeg-turbo reads a buffer), once, for its
    // EXIF as well. Everything else streams from the file.
    let jpeg = match (format, longest_side) {
        (ImageFormat::Jpeg, Some(_)) => Some(read_bounded(path, MAX_JPEG_BYTES)?),
        _ => None,
    };
    let exif = match &jpeg {
        Some(bytes) => read_exif(Cursor::new(bytes)),
        None => read_exif(open()?),
    };
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
    let picture = match (longest_side, &jpeg) {
        (None, _) => None,
        (Some(side), Some(bytes)) => Some(upright(decode_jpeg(bytes, side)?, side, orientation)),
        (Some(side), None) => Some(upright(decode_whole(open()?, format)?, side, orientation)),
    };
    Ok((metadata, picture))
}

/// Decodes picture bytes (embedded cover art) into a small upright picture, with the same
/// header checks as a file.
pub fn picture_from_bytes(bytes: &[u8], longest_side: u32) -> Result<Picture, String> {
    let format = match header(Cursor::new(bytes)) {
        Ok((format, ..)) => format,
        Err(reason) if starts_as_jpeg(Cursor::new(bytes)) => {
            jpeg_dimensions(bytes).map_err(|_| reason)?;
            ImageFormat::Jpeg
        }
        Err(reason) => return Err(reason),
    };
    let orientation = read_exif(Cursor::new(bytes)).orientation.unwrap_or(1);
    let image = match format {
        ImageFormat::Jpeg => decode_jpeg(bytes, longest_side)?,
        _ => decode_whole(Cursor::new(bytes), format)?,
    };
    Ok(upright(image, longest_side, orientation))
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

/// Whether a file starts as every JPEG does (SOI, then a marker).
fn starts_as_jpeg(mut source: impl Read) -> bool {
    let mut start = [0; 3];
    source.read_exact(&mut start).is_ok() && start == [0xff, 0xd8, 0xff]
}

/// The declared size of a JPEG the image crate cannot read the header of (12-bit samples,
/// lossless or arithmetic coding), from libjpeg-turbo, checked as any header is.
fn jpeg_dimensions(bytes: &[u8]) -> Result<(u32, u32), String> {
    let header = turbojpeg::read_header(bytes)
        .map_err(|error| format!("has a broken header: {}", turbo_message(error)))?;
    let (width, height) = (
        u32::try_from(header.width).unwrap_or(u32::MAX),
        u32::try_from(header.height).unwrap_or(u32::MAX),
    );
    check_dimensions(width, height)?;
    Ok((width, height))
}

fn turbo_message(error: turbojpeg::Error) -> String {
    match error {
        turbojpeg::Error::TurboJpegError(message) => message,
        other => other.to_string(),
    }
}

/// The whole picture, through the image crate under [`limits`].
fn decode_whole<R: Read + Seek + std::io::BufRead>(
    source: R,
    format: ImageFormat,
) -> Result<DynamicImage, String> {
    let mut reader = ImageReader::with_format(source, format);
    reader.limits(limits());
    reader
        .decode()
        .map_err(|error| format!("cannot be decoded: {error}"))
}

/// At most `longest_side` pixels on the longer side, turned as EXIF says, as RGB.
fn upright(image: DynamicImage, longest_side: u32, orientation: u8) -> Picture {
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
    Picture {
        width: rgb.width(),
        height: rgb.height(),
        rgb: rgb.into_raw(),
    }
}

/// A JPEG through libjpeg-turbo, decoded straight at the smallest DCT scale that still
/// covers `longest_side` (an eighth of a 12-megapixel photo for a 256-pixel thumbnail: only
/// each block's average is computed). A damaged photo keeps what libjpeg-turbo could make
/// of it (a file cut short ends in grey, as photo viewers show it); one it made nothing of
/// goes through the image crate's decoder under [`limits`] before it is refused.
fn decode_jpeg(bytes: &[u8], longest_side: u32) -> Result<DynamicImage, String> {
    match decode_jpeg_scaled(bytes, longest_side) {
        Ok(image) => Ok(image),
        Err(reason) => decode_whole(Cursor::new(bytes), ImageFormat::Jpeg).map_err(|_| reason),
    }
}

fn decode_jpeg_scaled(bytes: &[u8], longest_side: u32) -> Result<DynamicImage, String> {
    let broken = |error: turbojpeg::Error| format!("cannot be decoded: {}", turbo_message(error));
    let mut decoder = turbojpeg::Decompressor::new().map_err(broken)?;
    let header = decoder.read_header(bytes).map_err(broken)?;
    let (width, height) = (
        u32::try_from(header.width).unwrap_or(u32::MAX),
        u32::try_from(header.height).unwrap_or(u32::MAX),
    );
    check_dimensions(width, height)?;
    if !header.is_lossless {
        decoder
            .set_scaling_factor(dct_scale(header.width.max(header.height), longest_side))
            .map_err(broken)?;
    }
    let scaled = header.scaled(decoder.scaling_factor());
    let cmyk = matches!(
        header.colorspace,
        turbojpeg::Colorspace::CMYK | turbojpeg::Colorspace::YCCK
    );
    let (format, channels) = if cmyk {
        (turbojpeg::PixelFormat::CMYK, 4)
    } else {
        (turbojpeg::PixelFormat::RGB, 3)
    };
    let mut pixels = vec![0; scaled.width * scaled.height * channels];
    let decoded = decoder.decompress(
        bytes,
        turbojpeg::Image {
            pixels: pixels.as_mut_slice(),
            width: scaled.width,
            pitch: scaled.width * channels,
            height: scaled.height,
            format,
        },
    );
    // libjpeg-turbo reports a warning (data cut short, stray bytes) as an error after it
    // has made the whole picture; a picture with nothing in it was not made.
    if let Err(error) = decoded
        && pixels.iter().all(|&byte| byte == 0)
    {
        return Err(broken(error));
    }
    if cmyk {
        // Adobe writes inverted CMYK; this is the usual approximation without a profile.
        pixels = pixels
            .chunks_exact(4)
            .flat_map(|cmyk| {
                let k = u16::from(cmyk[3]);
                [cmyk[0], cmyk[1], cmyk[2]].map(|c| (u16::from(c) * k / 255) as u8)
            })
            .collect();
    }
    let (width, height) = (scaled.width as u32, scaled.height as u32);
    image::RgbImage::from_raw(width, height, pixels)
        .map(DynamicImage::ImageRgb8)
        .ok_or_else(|| "cannot be decoded: fewer pixels than its header declares".to_string())
}

/// The smallest scale libjpeg-turbo decodes at (n/8) that keeps `longest` at or above
/// `wanted`; never more than the full size.
fn dct_scale(longest: usize, wanted: u32) -> turbojpeg::ScalingFactor {
    (1..=8)
        .map(|eighths| turbojpeg::ScalingFactor::new(eighths, 8))
        .find(|scale| scale.scale(longest) >= wanted as usize)
        .unwrap_or(turbojpeg::ScalingFactor::ONE)
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

/// Reads a file of at most `limit` bytes ([`MAX_PICTURE_BYTES`] for a small file such as
/// `cover.jpg`).
pub fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, String> {
    let file = File::open(path).map_err(|error| format!("cannot be opened: {error}"))?;
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|error| format!("cannot be read: {error}"))?;
    if bytes.len() as u64 > limit {
        return Err("is larger than a picture Hearth reads".to_string());
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A JPEG of `width`x`height`: red on the left half, blue on the right.
    fn halves(width: u32, height: u32) -> Vec<u8> {
        let picture = image::RgbImage::from_fn(width, height, |x, _| {
            if x < width / 2 {
                image::Rgb([220, 30, 30])
            } else {
                image::Rgb([30, 30, 220])
            }
        });
        let mut bytes = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 90)
            .encode_image(&picture)
            .expect("encoding");
        bytes
    }

    fn pixel(picture: &Picture, x: u32, y: u32) -> [u8; 3] {
        let at = ((y * picture.width + x) * 3) as usize;
        [picture.rgb[at], picture.rgb[at + 1], picture.rgb[at + 2]]
    }

    #[test]
    fn the_dct_scale_is_the_smallest_that_still_covers_the_size() {
        let eighths = |longest, wanted| {
            dct_scale(longest, wanted).num() * 8 / dct_scale(longest, wanted).denom()
        };
        assert_eq!(eighths(4000, 256), 1);
        assert_eq!(eighths(2000, 256), 2, "an eighth is 250, short of 256");
        assert_eq!(eighths(4000, 1920), 4);
        assert_eq!(eighths(200, 256), 8, "never larger than the photo");
    }

    #[test]
    fn a_jpeg_comes_out_small_with_its_colours_in_place() {
        let picture = picture_from_bytes(&halves(2000, 1500), 256).expect("a picture");
        assert_eq!((picture.width, picture.height), (256, 192));
        let [r, _, b] = pixel(&picture, 20, 96);
        assert!(r > 180 && b < 70, "left is red: {r} {b}");
        let [r, _, b] = pixel(&picture, 236, 96);
        assert!(r < 70 && b > 180, "right is blue: {r} {b}");
    }

    #[test]
    fn grey_and_cmyk_jpegs_come_out_as_rgb() {
        let grey = image::GrayImage::from_pixel(640, 480, image::Luma([128]));
        let mut bytes = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 90)
            .encode_image(&grey)
            .expect("encoding");
        let picture = picture_from_bytes(&bytes, 128).expect("a grey picture");
        assert_eq!((picture.width, picture.height), (128, 96));
        let [r, g, b] = pixel(&picture, 64, 48);
        assert!(r.abs_diff(128) < 4 && r == g && g == b, "{r} {g} {b}");

        // Print workflows write CMYK (stored as YCCK); it comes out through the inverted-CMYK
        // approximation, as Adobe's files need.
        let cmyk: Vec<u8> = [255u8, 40, 40, 255].repeat(320 * 240);
        let jpeg = turbojpeg::Compressor::new()
            .and_then(|mut compressor| {
                compressor.compress_to_vec(turbojpeg::Image {
                    pixels: cmyk.as_slice(),
                    width: 320,
                    pitch: 320 * 4,
                    height: 240,
                    format: turbojpeg::PixelFormat::CMYK,
                })
            })
            .expect("a CMYK JPEG");
        assert_eq!(
            turbojpeg::read_header(&jpeg).expect("a header").colorspace,
            turbojpeg::Colorspace::YCCK
        );
        let picture = picture_from_bytes(&jpeg, 256).expect("a CMYK picture");
        assert_eq!((picture.width, picture.height), (256, 192));
        let [r, g, b] = pixel(&picture, 128, 96);
        assert!(r > 240 && g < 50 && b < 50, "{r} {g} {b}");
    }

    #[test]
    fn arithmetic_coded_and_lossless_jpegs_are_read_by_libjpeg_turbo() {
        let rgb = image::RgbImage::from_fn(640, 480, |x, _| {
            image::Rgb(if x < 320 {
                [220, 30, 30]
            } else {
                [30, 30, 220]
            })
        });
        for (name, arithmetic, lossless) in [("arithmetic", true, false), ("lossless", false, true)]
        {
            let mut compressor = turbojpeg::Compressor::new().expect("a compressor");
            compressor
                .set_arithmetic(arithmetic)
                .expect("arithmetic coding");
            compressor.set_lossless(lossless).expect("lossless");
            let jpeg = compressor
                .compress_to_vec(turbojpeg::Image {
                    pixels: rgb.as_raw().as_slice(),
                    width: 640,
                    pitch: 640 * 3,
                    height: 480,
                    format: turbojpeg::PixelFormat::RGB,
                })
                .expect("a JPEG");
            let picture = picture_from_bytes(&jpeg, 256).expect(name);
            assert_eq!((picture.width, picture.height), (256, 192), "{name}");
            let [r, _, b] = pixel(&picture, 20, 96);
            assert!(r > 180 && b < 70, "{name}: left is red: {r} {b}");
        }
    }

    #[test]
    fn a_jpeg_cut_short_still_shows_what_arrived() {
        let whole = halves(1600, 1200);
        let cut = &whole[..whole.len() * 2 / 3];
        let picture = picture_from_bytes(cut, 256).expect("the part that arrived");
        assert_eq!((picture.width, picture.height), (256, 192));
        let [r, _, b] = pixel(&picture, 20, 10);
        assert!(r > 180 && b < 70, "the top arrived: {r} {b}");
    }

    #[test]
    fn bytes_that_are_not_a_jpeg_are_refused_with_a_reason() {
        let mut bytes = halves(64, 64);
        for byte in bytes.iter_mut().skip(2) {
            *byte = 0x5a;
        }
        let reason = picture_from_bytes(&bytes, 64).expect_err("no picture");
        assert!(!reason.is_empty());
    }
}
