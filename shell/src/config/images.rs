//! The `[images]` table: where Hearth finds the image service (`hearth-image serve`), whose
//! own settings are in `images.toml`.

use serde::Deserialize;
use toml::Spanned;

use super::{ConfigError, SourceText};
use crate::downloads::Bus;

/// Where the image service is; `None`: Hearth does not look for one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImagesSettings {
    pub bus: Option<Bus>,
}

impl Default for ImagesSettings {
    fn default() -> ImagesSettings {
        ImagesSettings {
            bus: Some(Bus::Session),
        }
    }
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ImagesTable {
    bus: Option<Spanned<String>>,
}

pub(super) fn check(
    source: &SourceText<'_>,
    table: ImagesTable,
) -> Result<ImagesSettings, ConfigError> {
    let Some(value) = table.bus else {
        return Ok(ImagesSettings::default());
    };
    let span = value.span();
    let text = value.into_inner();
    let bus = match text.trim() {
        "off" => None,
        "session" => Some(Bus::Session),
        "system" => Some(Bus::System),
        address if address.contains(':') && zbus::Address::try_from(address).is_ok() => {
            Some(Bus::Address(address.to_string()))
        }
        other => {
            let expected = "\"session\", \"system\", \"off\" or a D-Bus address";
            return Err(source.invalid(
                span,
                format!("invalid bus \"{other}\" (expected {expected})"),
            ));
        }
    };
    Ok(ImagesSettings { bus })
}
