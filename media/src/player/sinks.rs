//! The elements the player makes by name, and where its sound goes.

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
