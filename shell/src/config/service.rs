//! The `[service]` table: the bus Hearth's own D-Bus service is offered on.

use serde::Deserialize;
use toml::Spanned;

use super::{ConfigError, SourceText};
use crate::service::ServiceBus;

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ServiceTable {
    bus: Option<Spanned<String>>,
}

pub(super) fn check(
    source: &SourceText<'_>,
    table: ServiceTable,
) -> Result<ServiceBus, ConfigError> {
    match table.bus {
        None => Ok(ServiceBus::Session),
        Some(bus) => {
            let span = bus.span();
            ServiceBus::parse(bus.get_ref()).map_err(|message| source.invalid(span, message))
        }
    }
}
