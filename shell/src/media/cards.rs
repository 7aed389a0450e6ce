//! The library's rows in words: card titles and subtitles, shelf counts and an item's
//! details, in the user's language.

use hearth_media::{Entry, EntryKind, MediaKind};
use hearth_ui::i18n::{Arg, Translator};

/// A duration as people read it: `3:04` or `1:02:09`.
pub fn duration(milliseconds: u64) -> String {
    let seconds = milliseconds / 1000;
    let (hours, minutes, seconds) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    if hours > 0 {
        format!("{hours}:{minutes:02}:{seconds:02}")
    } else {
        format!("{minutes}:{seconds:02}")
    }
}

/// A date (seconds since the epoch, UTC) in the language's usual short form.
pub fn date(translator: &Translator, seconds: i64) -> String {
    let Some(time) = chrono::DateTime::from_timestamp(seconds, 0) else {
        return String::new();
    };
    let format = match translator.code() {
        "de" => "%-d.%-m.%Y",
        "pl" => "%-d.%m.%Y",
        _ => "%b %-d, %Y",
    };
    time.format(format).to_string()
}

/// The month a date (seconds since the epoch, UTC) falls in, as one number.
pub fn month_key(seconds: i64) -> i64 {
    use chrono::Datelike;
    chrono::DateTime::from_timestamp(seconds, 0).map_or(i64::MIN, |time| {
        i64::from(time.year()) * 12 + i64::from(time.month0())
    })
}

/// The month a date (seconds since the epoch, UTC) falls in, as a heading: "December 2026".
pub fn month(translator: &Translator, seconds: i64) -> String {
    use chrono::Datelike;
    let Some(time) = chrono::DateTime::from_timestamp(seconds, 0) else {
        return String::new();
    };
    translator.tr_args(
        "media-month",
        &[
            ("month", Arg::Number(i64::from(time.month()))),
            ("year", Arg::Text(&time.year().to_string())),
        ],
    )
}

/// The `kind` a card tells the UI.
pub fn kind_name(kind: EntryKind) -> &'static str {
    match kind {
        EntryKind::Item(MediaKind::Video) => "video",
        EntryKind::Item(MediaKind::Audio) => "audio",
        EntryKind::Item(MediaKind::Photo) => "photo",
        EntryKind::Album => "album",
        EntryKind::Artist => "artist",
    }
}

fn count(translator: &Translator, id: &str, count: usize) -> String {
    translator.tr_args(id, &[("count", Arg::Number(count as i64))])
}

/// The line under a card's title.
pub fn subtitle(translator: &Translator, entry: &Entry) -> String {
    let artist = || {
        entry
            .artist
            .clone()
            .unwrap_or_else(|| translator.tr("media-unknown-artist"))
    };
    match entry.kind {
        EntryKind::Item(MediaKind::Video) => entry.duration_ms.map(duration).unwrap_or_default(),
        EntryKind::Item(MediaKind::Audio) => {
            let mut parts = vec![artist()];
            if let Some(length) = entry.duration_ms {
                parts.push(duration(length));
            }
            parts.join(" · ")
        }
        EntryKind::Item(MediaKind::Photo) => date(translator, entry.date),
        EntryKind::Album => {
            let mut parts = vec![
                artist(),
                count(translator, "media-count-tracks", entry.count),
            ];
            if let Some(year) = entry.year {
                parts.push(year.to_string());
            }
            parts.join(" · ")
        }
        EntryKind::Artist => count(translator, "media-count-songs", entry.count),
    }
}

/// Shelf counts: how many videos, songs and photos.
pub fn shelf_count(translator: &Translator, shelf: &str, counts: &hearth_media::Counts) -> String {
    match shelf {
        "videos" => count(translator, "media-count-videos", counts.videos),
        "music" => count(translator, "media-count-songs", counts.songs),
        _ => count(translator, "media-count-photos", counts.photos),
    }
}

/// What the details sheet lists about an item.
pub fn details(translator: &Translator, item: &hearth_media::Item) -> Vec<String> {
    let metadata = &item.metadata;
    let text =
        |id: &str, name: &str, value: &str| translator.tr_args(id, &[(name, Arg::Text(value))]);
    let mut lines = Vec::new();
    if let Some(artist) = &metadata.artist {
        lines.push(text("media-details-artist", "artist", artist));
    }
    if let Some(album) = &metadata.album {
        lines.push(text("media-details-album", "album", album));
    }
    if let Some(length) = metadata.duration_ms {
        lines.push(text("media-details-length", "length", &duration(length)));
    }
    if let (Some(width), Some(height)) = (metadata.width, metadata.height) {
        lines.push(translator.tr_args(
            "media-details-picture",
            &[
                ("width", Arg::Number(i64::from(width))),
                ("height", Arg::Number(i64::from(height))),
            ],
        ));
    }
    let format: Vec<&str> = [&metadata.video_codec, &metadata.audio_codec]
        .into_iter()
        .filter_map(|codec| codec.as_deref())
        .collect();
    if !format.is_empty() {
        lines.push(text("media-details-format", "format", &format.join(", ")));
    }
    if let Some(taken) = metadata.taken_at {
        lines.push(text(
            "media-details-taken",
            "date",
            &date(translator, taken),
        ));
    }
    if let Some(camera) = &metadata.camera {
        lines.push(text("media-details-camera", "camera", camera));
    }
    lines.push(text(
        "media-details-file",
        "path",
        &item.path.to_string_lossy(),
    ));
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_clocks() {
        assert_eq!(duration(0), "0:00");
        assert_eq!(duration(184_000), "3:04");
        assert_eq!(duration(3_729_500), "1:02:09");
    }

    #[test]
    fn dates_follow_the_language() {
        let seconds = 1_697_904_310;
        assert_eq!(date(&Translator::new("en-US"), seconds), "Oct 21, 2023");
        assert_eq!(date(&Translator::new("de"), seconds), "21.10.2023");
        assert_eq!(date(&Translator::new("pl"), seconds), "21.10.2023");
        assert_eq!(month(&Translator::new("en-US"), seconds), "October 2023");
        assert_eq!(month(&Translator::new("de"), seconds), "Oktober 2023");
        assert_eq!(
            month(&Translator::new("pl"), 1_700_000_000),
            "Listopad 2023"
        );
    }
}
