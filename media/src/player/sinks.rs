//! The elements the player makes by name, where its sound goes, and what its video sink
//! takes.

use gst::prelude::*;
use gstreamer as gst;

use super::AudioOutput;

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

/// What the appsink takes: I420, what decoders give (GStreamer converts anything else to
/// it). The player process converts and scales it for the CPU path itself (`convert.rs`);
/// a GPU converts it in a shader.
pub(super) fn video_caps() -> gst::Caps {
    gst::Caps::builder("video/x-raw")
        .field("format", "I420")
        .build()
}
