//! The audio and subtitle tracks of what `playbin` has open, as the player reports them.

use gst::prelude::*;
use gstreamer as gst;

use super::{Track, Tracks};

/// The tracks of the open file; `subtitles_on` says whether a subtitle track shows, and
/// `external_subtitle` that the last subtitle track is a file beside the video.
pub(super) fn read_tracks(
    playbin: &gst::Element,
    subtitles_on: bool,
    external_subtitle: bool,
) -> Tracks {
    let tags = |signal: &str, index: i32| -> Track {
        let list = playbin.emit_by_name::<Option<gst::TagList>>(signal, &[&index]);
        let text = |name: &str| {
            list.as_ref()
                .and_then(|l| l.generic(name))
                .and_then(|value| value.get::<String>().ok())
        };
        Track {
            language: text("language-code"),
            title: text("title"),
            codec: text(if signal == "get-audio-tags" {
                "audio-codec"
            } else {
                "subtitle-codec"
            }),
            external: false,
        }
    };
    let n_audio = playbin.property::<i32>("n-audio");
    let n_text = playbin.property::<i32>("n-text");
    let mut subtitles: Vec<Track> = (0..n_text).map(|i| tags("get-text-tags", i)).collect();
    if external_subtitle && let Some(last) = subtitles.last_mut() {
        last.external = true;
    }
    let current = |name: &str| usize::try_from(playbin.property::<i32>(name)).ok();
    Tracks {
        has_video: playbin.property::<i32>("n-video") > 0,
        audio: (0..n_audio).map(|i| tags("get-audio-tags", i)).collect(),
        current_audio: current("current-audio"),
        current_subtitle: if subtitles_on && n_text > 0 {
            current("current-text")
        } else {
            None
        },
        subtitles,
    }
}
