//! The `[kiosk]` table: what the user may reach, where kiosk mode starts, what is hidden, the
//! idle timeout, what a stopped VM does, the admin corner and the PIN's hash. Without the
//! table (or with `enabled = false`) there is no kiosk mode.

use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::{ConfigError, SourceText, VmConfig};
use crate::kiosk::{Corner, KioskSettings, Start, WhenStopped, pin};

/// The longest idle timeout accepted: a day.
const LONGEST_IDLE_S: u64 = 24 * 60 * 60;

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct KioskTable {
    enabled: Option<bool>,
    allow: Option<Spanned<Vec<Spanned<String>>>>,
    start: Option<Spanned<String>>,
    hide: Option<Vec<Spanned<String>>>,
    idle_timeout_s: Option<Spanned<u64>>,
    when_stopped: Option<Spanned<String>>,
    admin_corner: Option<Spanned<String>>,
    pin: Option<Spanned<String>>,
}

pub(super) fn check(
    source: &SourceText<'_>,
    table: Option<KioskTable>,
    vms: &[VmConfig],
) -> Result<Option<KioskSettings>, ConfigError> {
    let Some(table) = table else {
        return Ok(None);
    };
    if table.enabled == Some(false) {
        return Ok(None);
    }
    let Some(allow) = table.allow else {
        return Err(source.invalid(
            0..0,
            "[kiosk] needs `allow`, the VMs and screens the user may reach (VM names, \"home\", \"media\")".into(),
        ));
    };
    let allow_span = allow.span();
    let mut settings = KioskSettings::allowing(Vec::new());
    for entry in allow.into_inner() {
        let span = entry.span();
        let text = entry.into_inner().trim().to_string();
        match text.as_str() {
            "home" => settings.home = true,
            "media" => settings.media = true,
            name => {
                if !vms.is_empty() && !vms.iter().any(|vm| vm.name.eq_ignore_ascii_case(name)) {
                    let names: Vec<&str> = vms.iter().map(|vm| vm.name.as_str()).collect();
                    return Err(source.invalid(
                        span,
                        format!(
                            "no VM is called \"{name}\" (expected \"home\", \"media\" or one of: {})",
                            names.join(", ")
                        ),
                    ));
                }
                settings.vms.push(name.to_string());
            }
        }
    }
    if settings.vms.is_empty() && !settings.home && !settings.media {
        return Err(source.invalid(allow_span, "`allow` names nothing to reach".into()));
    }
    settings.start = match table.start {
        Some(start) => {
            let span = start.span();
            let text = start.into_inner().trim().to_string();
            match text.as_str() {
                "home" if settings.home => Start::Home,
                "videos" | "music" | "photos" if settings.media => {
                    Start::Shelf(match text.as_str() {
                        "videos" => "videos",
                        "music" => "music",
                        _ => "photos",
                    })
                }
                name if settings.allows_vm(name) => Start::Vm(name.to_string()),
                other => {
                    return Err(source.invalid(
                        span,
                        format!(
                            "kiosk mode cannot start at \"{other}\": it must be an allowed VM, \"home\" when home is allowed, or \"videos\", \"music\" or \"photos\" when media is"
                        ),
                    ));
                }
            }
        }
        None => match (settings.vms.first(), settings.home) {
            (Some(vm), _) => Start::Vm(vm.clone()),
            (None, true) => Start::Home,
            (None, false) => Start::Shelf("videos"),
        },
    };
    if let Some(hide) = table.hide {
        settings.hide_lifecycle = false;
        settings.hide_settings = false;
        settings.hide_downloads = false;
        for entry in hide {
            let span = entry.span();
            match entry.into_inner().trim() {
                "lifecycle" => settings.hide_lifecycle = true,
                "settings" => settings.hide_settings = true,
                "downloads" => settings.hide_downloads = true,
                other => {
                    return Err(source.invalid(
                        span,
                        format!(
                            "cannot hide \"{other}\" (expected \"lifecycle\", \"settings\" or \"downloads\")"
                        ),
                    ));
                }
            }
        }
    }
    if let Some(idle) = table.idle_timeout_s {
        let span = idle.span();
        let seconds = idle.into_inner();
        if seconds > LONGEST_IDLE_S {
            return Err(source.invalid(
                span,
                format!("idle_timeout_s must be at most {LONGEST_IDLE_S} (a day), or 0 for none"),
            ));
        }
        settings.idle_timeout = (seconds > 0).then(|| Duration::from_secs(seconds));
    }
    if let Some(when) = table.when_stopped {
        let span = when.span();
        settings.when_stopped = match when.into_inner().trim() {
            "restart" => WhenStopped::Restart,
            "show" => WhenStopped::Show,
            other => {
                return Err(source.invalid(
                    span,
                    format!("invalid when_stopped \"{other}\" (expected \"restart\" or \"show\")"),
                ));
            }
        };
    }
    if let Some(corner) = table.admin_corner {
        let span = corner.span();
        settings.corner = match corner.into_inner().trim() {
            "top-left" => Corner::TopLeft,
            "top-right" => Corner::TopRight,
            "bottom-left" => Corner::BottomLeft,
            "bottom-right" => Corner::BottomRight,
            other => {
                return Err(source.invalid(
                    span,
                    format!(
                        "invalid admin_corner \"{other}\" (expected \"top-left\", \"top-right\", \"bottom-left\" or \"bottom-right\")"
                    ),
                ));
            }
        };
    }
    if let Some(hash) = table.pin {
        let span = hash.span();
        let hash = hash.into_inner();
        if !pin::parses(&hash) {
            return Err(source.invalid(
                span,
                "pin must be an argon2 hash as `hearth kiosk-pin` prints it, never the PIN itself"
                    .into(),
            ));
        }
        settings.pin = Some(hash);
    }
    Ok(Some(settings))
}
