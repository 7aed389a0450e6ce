//! PropertiesChanged for services that keep their properties as a snapshot: compare the
//! values sent last with the values now and signal only what differs.

use std::collections::HashMap;

use zbus::object_server::SignalEmitter;
use zbus::zvariant::{OwnedValue, Value};

/// Property values by name, as last sent.
pub type Values = HashMap<&'static str, OwnedValue>;

/// Turns a value into an owned one; values without file descriptors always convert.
pub fn owned(value: Value<'_>) -> OwnedValue {
    value
        .try_to_owned()
        .unwrap_or_else(|_| OwnedValue::from(0u8))
}

/// Sends one PropertiesChanged on `interface` with the values in `now` that differ from
/// `before`; nothing when none do. Failures are logged.
pub fn emit_changes(emitter: &SignalEmitter<'_>, interface: &str, before: &Values, now: &Values) {
    let changed: HashMap<&str, Value<'_>> = now
        .iter()
        .filter(|(name, value)| before.get(*name) != Some(*value))
        .filter_map(|(name, value)| Some((*name, Value::from(value.try_clone().ok()?))))
        .collect();
    if changed.is_empty() {
        return;
    }
    let Ok(name) = zbus::names::InterfaceName::try_from(interface) else {
        return;
    };
    let result = zbus::block_on(zbus::fdo::Properties::properties_changed(
        emitter,
        name,
        changed,
        std::borrow::Cow::Borrowed(&[]),
    ));
    if let Err(error) = result {
        tracing::warn!(%interface, "sending PropertiesChanged: {error}");
    }
}
