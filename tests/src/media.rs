//! Small real media files the media tests make for themselves.

/// A PNG of one flat shade, encoded by the png crate.
pub fn png_bytes(width: u32, height: u32, shade: u8) -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, width, height);
    encoder.set_color(png::ColorType::Rgb);
    let mut writer = encoder.write_header().expect("a PNG header");
    writer
        .write_image_data(&vec![shade; (width * height * 3) as usize])
        .expect("PNG pixels");
    writer.finish().expect("a PNG");
    bytes
}
