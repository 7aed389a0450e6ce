//! What the downloads row, the tile badges and the detail sheet say about an image, in the
//! user's language.

use hearth_ui::i18n::{Arg, Translator};

use super::status::ImageStatus;

/// A byte count as people read it: "980 kB", "310 MB", "1.4 GB" (decimal units, the
/// language's decimal mark).
pub fn size(bytes: u64, translator: &Translator) -> String {
    const UNITS: [(u64, &str); 4] = [
        (1_000_000_000_000, "TB"),
        (1_000_000_000, "GB"),
        (1_000_000, "MB"),
        (1_000, "kB"),
    ];
    let Some((scale, unit)) = UNITS.into_iter().find(|(scale, _)| bytes >= *scale) else {
        return format!("{bytes} B");
    };
    let value = bytes as f64 / scale as f64;
    let text = if value < 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.0}")
    };
    let text = if translator.code() == "en-US" {
        text
    } else {
        text.replace('.', ",")
    };
    format!("{text} {unit}")
}

/// Time left, rounded up to what matters: "45 s", "3 min", "1 h 20 min".
pub fn duration(seconds: u64, translator: &Translator) -> String {
    if seconds < 60 {
        return translator.tr_args("duration-seconds", &[("n", Arg::Number(seconds as i64))]);
    }
    let minutes = seconds.div_ceil(60);
    if minutes < 60 {
        return translator.tr_args("duration-minutes", &[("n", Arg::Number(minutes as i64))]);
    }
    translator.tr_args(
        "duration-hours",
        &[
            ("h", Arg::Number((minutes / 60) as i64)),
            ("m", Arg::Number((minutes % 60) as i64)),
        ],
    )
}

fn percent(status: &ImageStatus) -> i64 {
    (status.fraction() * 100.0).floor() as i64
}

/// The version the card is about: the one being fetched, else the ready one.
pub fn version(status: &ImageStatus) -> u64 {
    if status.pending != 0 {
        status.pending
    } else {
        status.ready
    }
}

pub fn title(status: &ImageStatus, translator: &Translator) -> String {
    match version(status) {
        0 => translator.tr_args("download-title-unknown", &[("vm", Arg::Text(&status.vm))]),
        version => translator.tr_args(
            "download-title",
            &[
                ("vm", Arg::Text(&status.vm)),
                ("version", Arg::Number(version as i64)),
            ],
        ),
    }
}

/// What it is doing in a few words, and the kind ("active", "held", "ready", "failed").
pub fn status_line(
    status: &ImageStatus,
    connected: bool,
    translator: &Translator,
) -> (String, &'static str) {
    if !connected {
        return (translator.tr("download-service-gone"), "held");
    }
    match status.phase.as_str() {
        "checking" => (translator.tr("download-checking"), "active"),
        "fetching" => (
            translator.tr_args(
                "download-fetching",
                &[("percent", Arg::Number(percent(status)))],
            ),
            "active",
        ),
        "verifying" => (translator.tr("download-verifying"), "active"),
        "paused" => {
            let id = match status.held_by.as_str() {
                "metered" => "download-held-metered",
                "battery" => "download-held-battery",
                _ => "download-paused",
            };
            (
                translator.tr_args(id, &[("percent", Arg::Number(percent(status)))]),
                "held",
            )
        }
        "failed" => (
            translator.tr_args(
                "download-failed",
                &[("reason", Arg::Text(&status.last_error))],
            ),
            "failed",
        ),
        _ if status.ready != 0 => (translator.tr("download-ready"), "ready"),
        _ => (translator.tr("download-idle"), "ready"),
    }
}

/// The card's second line: bytes and time left, or the size of what is ready.
pub fn detail(status: &ImageStatus, translator: &Translator) -> String {
    if status.downloading() && status.bytes_total > 0 {
        let bytes = translator.tr_args(
            "download-bytes",
            &[
                ("done", Arg::Text(&size(status.bytes_done, translator))),
                ("total", Arg::Text(&size(status.bytes_total, translator))),
            ],
        );
        return match u64::try_from(status.eta_seconds) {
            Ok(seconds) if status.phase == "fetching" => format!(
                "{bytes} · {}",
                translator.tr_args(
                    "download-eta",
                    &[("time", Arg::Text(&duration(seconds, translator)))]
                )
            ),
            _ => bytes,
        };
    }
    if status.ready != 0 && status.image_bytes > 0 {
        return translator.tr_args(
            "download-ready-detail",
            &[("size", Arg::Text(&size(status.image_bytes, translator)))],
        );
    }
    String::new()
}

/// The detail sheet's facts, one line each.
pub fn facts(status: &ImageStatus, translator: &Translator) -> Vec<String> {
    let mut lines = Vec::new();
    if status.bytes_total > 0 && (status.downloading() || status.ready != 0) {
        lines.push(translator.tr_args(
            "download-bytes",
            &[
                ("done", Arg::Text(&size(status.bytes_done, translator))),
                ("total", Arg::Text(&size(status.bytes_total, translator))),
            ],
        ));
    }
    if status.bytes_from_peers > 0 {
        lines.push(translator.tr_args(
            "download-from-peers",
            &[(
                "peers",
                Arg::Text(&size(status.bytes_from_peers, translator)),
            )],
        ));
    }
    if status.bytes_wasted_by_peers > 0 {
        lines.push(translator.tr_args(
            "download-peer-waste",
            &[(
                "wasted",
                Arg::Text(&size(status.bytes_wasted_by_peers, translator)),
            )],
        ));
    }
    if status.phase == "fetching" && status.rate > 0 {
        lines.push(translator.tr_args(
            "download-rate",
            &[("rate", Arg::Text(&size(status.rate, translator)))],
        ));
        if let Ok(seconds) = u64::try_from(status.eta_seconds) {
            lines.push(translator.tr_args(
                "download-eta",
                &[("time", Arg::Text(&duration(seconds, translator)))],
            ));
        }
    }
    if status.bytes_saved > 0 {
        lines.push(translator.tr_args(
            "download-saved",
            &[("saved", Arg::Text(&size(status.bytes_saved, translator)))],
        ));
    }
    if status.bytes_reused > 0 {
        lines.push(translator.tr_args(
            "download-reused",
            &[("reused", Arg::Text(&size(status.bytes_reused, translator)))],
        ));
    }
    if status.current != 0 {
        lines.push(translator.tr_args(
            "download-in-use",
            &[("version", Arg::Number(status.current as i64))],
        ));
    }
    if let Some(&previous) = status.previous.first() {
        lines.push(translator.tr_args(
            "download-kept",
            &[("version", Arg::Number(previous as i64))],
        ));
    }
    lines
}

/// The version history, newest first.
pub fn history(status: &ImageStatus, translator: &Translator) -> Vec<String> {
    status
        .history
        .iter()
        .rev()
        .map(|(version, event, at, reason)| {
            let when = chrono::DateTime::from_timestamp(*at as i64, 0)
                .map(|time| {
                    time.with_timezone(&chrono::Local)
                        .format("%Y-%m-%d %H:%M")
                        .to_string()
                })
                .unwrap_or_default();
            let id = match event.as_str() {
                "ready" => "download-history-ready",
                "activated" => "download-history-activated",
                "reset" => "download-history-reset",
                _ => "download-history-rolled-back",
            };
            translator.tr_args(
                id,
                &[
                    ("version", Arg::Number(*version as i64)),
                    ("when", Arg::Text(&when)),
                    ("reason", Arg::Text(reason)),
                ],
            )
        })
        .collect()
}

/// The word on the VM's tile, and its kind: "Update 63 %", "Update ready", "Rolled back".
pub fn badge(status: &ImageStatus, translator: &Translator) -> Option<(String, &'static str)> {
    if status.downloading() {
        return Some((
            translator.tr_args(
                "badge-update-percent",
                &[("percent", Arg::Number(percent(status)))],
            ),
            "progress",
        ));
    }
    if status.ready != 0 {
        return Some((translator.tr("badge-update-ready"), "ready"));
    }
    if status.phase == "failed" {
        return Some((translator.tr("badge-update-failed"), "failed"));
    }
    if status.rolled_back().is_some() {
        return Some((translator.tr("badge-rolled-back"), "rolled-back"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_times_read_naturally_in_each_language() {
        let english = Translator::new("en-US");
        let german = Translator::new("de");
        assert_eq!(size(512, &english), "512 B");
        assert_eq!(size(980_000, &english), "980 kB");
        assert_eq!(size(1_400_000_000, &english), "1.4 GB");
        assert_eq!(size(1_400_000_000, &german), "1,4 GB");
        assert_eq!(size(310_000_000, &german), "310 MB");
        assert_eq!(duration(45, &english), "45 s");
        assert_eq!(duration(61, &english), "2 min");
        assert_eq!(duration(4800, &english), "1 h 20 min");
    }
}
