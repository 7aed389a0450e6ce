//! The `[playback]` table: where sound goes, what a switch to a VM does to the player, and
//! which seek gestures the player takes.

use hearth_media::player::{AudioOutput, PlayerLimits};
use serde::Deserialize;
use toml::Spanned;

use super::{ConfigError, SourceText};

#[derive(Debug, Clone, PartialEq)]
pub struct PlaybackSettings {
    pub audio: AudioOutput,
    /// Pause a video when a VM comes to the front (it resumes on the way back).
    pub pause_video_on_switch: bool,
    /// Pause music when a VM comes to the front.
    pub pause_music_on_switch: bool,
    /// A sideways swipe on a video seeks.
    pub swipe_seek: bool,
    /// A double tap on the left or right third of a video seeks 10 s.
    pub double_tap_seek: bool,
    /// The player process's binary and limits (not in the file: beside Hearth's binary, or
    /// `$HEARTH_MEDIA_HELPER`).
    pub player: PlayerLimits,
}

impl Default for PlaybackSettings {
    fn default() -> PlaybackSettings {
        PlaybackSettings {
            audio: AudioOutput::Auto,
            pause_video_on_switch: true,
            pause_music_on_switch: false,
            swipe_seek: true,
            double_tap_seek: true,
            player: PlayerLimits::default(),
        }
    }
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PlaybackTable {
    audio: Option<Spanned<String>>,
    pause_video_on_switch: Option<bool>,
    pause_music_on_switch: Option<bool>,
    swipe_seek: Option<bool>,
    double_tap_seek: Option<bool>,
}

pub(super) fn check(
    source: &SourceText<'_>,
    table: PlaybackTable,
) -> Result<PlaybackSettings, ConfigError> {
    let defaults = PlaybackSettings::default();
    let audio = match table.audio {
        None => defaults.audio,
        Some(value) => {
            let span = value.span();
            let text = value.into_inner();
            match text.trim() {
                "auto" => AudioOutput::Auto,
                "pulse" => AudioOutput::Pulse,
                "alsa" => AudioOutput::Alsa(None),
                "none" => AudioOutput::Silent,
                device if device.starts_with("alsa:") && device.len() > 5 => {
                    AudioOutput::Alsa(Some(device[5..].to_string()))
                }
                other => {
                    return Err(source.invalid(
                        span,
                        format!(
                            "invalid audio output \"{other}\" (expected \"auto\", \"pulse\", \"alsa\", \"alsa:DEVICE\" or \"none\")"
                        ),
                    ));
                }
            }
        }
    };
    Ok(PlaybackSettings {
        audio,
        pause_video_on_switch: table
            .pause_video_on_switch
            .unwrap_or(defaults.pause_video_on_switch),
        pause_music_on_switch: table
            .pause_music_on_switch
            .unwrap_or(defaults.pause_music_on_switch),
        swipe_seek: table.swipe_seek.unwrap_or(defaults.swipe_seek),
        double_tap_seek: table.double_tap_seek.unwrap_or(defaults.double_tap_seek),
        player: defaults.player,
    })
}
