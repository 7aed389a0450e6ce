//! The `[input]` table: which remote and media keys stay Hearth's in a VM's view (every other
//! key goes to the VM; assets/hearth.example.toml lists the keys).

use serde::Deserialize;
use toml::Spanned;

use super::{ConfigError, SourceText};
use crate::remote_keys;

#[derive(Debug, Clone, PartialEq)]
pub struct InputSettings {
    /// The evdev codes of the keys Hearth keeps in a VM's view.
    pub hearth_keys: Vec<u32>,
}

impl Default for InputSettings {
    fn default() -> InputSettings {
        InputSettings {
            hearth_keys: vec![remote_keys::code_of("KEY_HOMEPAGE").expect("a known key")],
        }
    }
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct InputTable {
    hearth_keys: Option<Vec<Spanned<String>>>,
}

pub(super) fn check(
    source: &SourceText<'_>,
    table: InputTable,
) -> Result<InputSettings, ConfigError> {
    let Some(names) = table.hearth_keys else {
        return Ok(InputSettings::default());
    };
    let mut hearth_keys = Vec::new();
    for name in names {
        let span = name.span();
        let name = name.into_inner();
        let Some(code) = remote_keys::code_of(name.trim()) else {
            return Err(source.invalid(
                span,
                format!(
                    "unknown key {name:?} in hearth_keys (expected one of {})",
                    remote_keys::known_names().join(", ")
                ),
            ));
        };
        hearth_keys.push(code);
    }
    Ok(InputSettings { hearth_keys })
}
