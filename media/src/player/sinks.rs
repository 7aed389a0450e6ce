//! The elements the player makes by name, where its sound goes, and what its video sink
//! takes.

use gst::prelude::*;
use gstreamer as gst;

use super::{AudioOutput, VideoFormat};

pub(super) fn make(factory: &str) -> Result<gst::Element, String> {
    gst::ElementFactory::make(factory)
        .build()
        .map_err(|_| format!("GStreamer's `{factory}` is not installed"))
}

/// The sink for the configured audio output.
pub(super) fn audio_sink(output: &AudioOutput) -> Result<gst::Element, String> {
    Ok(match output {
        AudioOutput::Auto => make("autoaudiosink")?,
        AudioOutput::Pulse => make("pulsesink")?,
        AudioOutput::Alsa(device) => {
            let sink = make("alsasink")?;
            if let Some(device) = device {
                sink.set_property("device", device);
            }
            sink
        }
        AudioOutput::Silent => {
            let sink = make("fakesink")?;
            sink.set_property("sync", true);
            sink
        }
        AudioOutput::Wav(path) => {
            let description =
                "audioconvert ! audio/x-raw,format=S16LE ! wavenc ! filesink name=file sync=false";
            let bin = gst::parse::bin_from_description(description, true)
                .map_err(|error| format!("cannot build the WAV output: {error}"))?;
            if let Some(file) = bin.by_name("file") {
                file.set_property("location", path.to_string_lossy().as_ref());
            }
            bin.upcast()
        }
    })
}

/// What the appsink takes. BGRx: GStreamer converts to it fastest (about a fifth less CPU
/// than RGBA at 1080p here); the reader swaps channels in the copy it makes anyway. I420:
/// what decoders give, for a GPU to convert. Within `fit`, when given.
pub(super) fn video_caps(format: VideoFormat, fit: Option<(u32, u32)>) -> gst::Caps {
    let mut caps = gst::Caps::builder("video/x-raw").field(
        "format",
        match format {
            VideoFormat::Bgrx => "BGRx",
            VideoFormat::I420 => "I420",
        },
    );
    if let Some((width, height)) = fit {
        let most = |side: u32| i32::try_from(side).unwrap_or(i32::MAX);
        caps = caps
            .field("width", gst::IntRange::new(1, most(width)))
            .field("height", gst::IntRange::new(1, most(height)))
            .field("pixel-aspect-ratio", gst::Fraction::new(1, 1));
    }
    caps.build()
}
