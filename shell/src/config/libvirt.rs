//! The `[libvirt]` table: where libvirt-dbus and the VMs' QEMU displays are.

use serde::Deserialize;
use toml::Spanned;

use hearth_vm_bridge::libvirt::{Bus, LibvirtConfig, SelectedVm};

use super::{Config, ConfigError, SourceText};

/// How to reach libvirt, checked, with defaults filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LibvirtSettings {
    pub bus: Bus,
    /// libvirt-dbus's object path component for the connection: `QEMU`, `Test`, `Xen`…
    pub connection: String,
    /// Where the VMs' QEMU D-Bus displays are; None: show no screens.
    pub display_bus: Option<Bus>,
}

impl Default for LibvirtSettings {
    fn default() -> LibvirtSettings {
        LibvirtSettings {
            bus: Bus::System,
            connection: "QEMU".into(),
            display_bus: Some(Bus::System),
        }
    }
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LibvirtTable {
    bus: Option<Spanned<String>>,
    connection: Option<Spanned<String>>,
    display_bus: Option<Spanned<String>>,
}

fn bus(
    source: &SourceText<'_>,
    value: Spanned<String>,
    allow_none: bool,
) -> Result<Option<Bus>, ConfigError> {
    let span = value.span();
    let text = value.into_inner();
    match text.trim() {
        "session" => Ok(Some(Bus::Session)),
        "system" => Ok(Some(Bus::System)),
        "none" if allow_none => Ok(None),
        address if address.contains(':') && zbus::Address::try_from(address).is_ok() => {
            Ok(Some(Bus::Address(address.to_string())))
        }
        other => {
            let expected = if allow_none {
                "\"session\", \"system\", \"none\" or a D-Bus address such as \"unix:path=/run/bus\""
            } else {
                "\"session\", \"system\" or a D-Bus address such as \"unix:path=/run/bus\""
            };
            Err(source.invalid(
                span,
                format!("invalid bus \"{other}\" (expected {expected})"),
            ))
        }
    }
}

pub(super) fn check(
    source: &SourceText<'_>,
    table: LibvirtTable,
) -> Result<LibvirtSettings, ConfigError> {
    let mut settings = LibvirtSettings::default();
    if let Some(value) = table.bus {
        settings.bus = bus(source, value, false)?.unwrap_or(Bus::System);
        // The displays are on the same bus unless said otherwise.
        settings.display_bus = Some(settings.bus.clone());
    }
    if let Some(value) = table.display_bus {
        settings.display_bus = bus(source, value, true)?;
    }
    if let Some(value) = table.connection {
        let span = value.span();
        let connection = value.into_inner();
        let valid = !connection.is_empty()
            && connection
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            let message = format!(
                "invalid libvirt connection \"{connection}\" (expected a name such as \"QEMU\", \"Test\" or \"Xen\")"
            );
            return Err(source.invalid(span, message));
        }
        settings.connection = connection;
    }
    Ok(settings)
}

impl Config {
    /// The libvirt backend's settings: the `[libvirt]` table, and the `[[vm]]` tables as the
    /// VMs to show (all of them when there are none).
    pub fn libvirt_config(&self) -> LibvirtConfig {
        LibvirtConfig {
            bus: self.libvirt.bus.clone(),
            connection: self.libvirt.connection.clone(),
            vms: self
                .vms
                .iter()
                .map(|vm| SelectedVm {
                    name: vm.name.clone(),
                    role: vm.role,
                })
                .collect(),
            display_bus: self.libvirt.display_bus.clone(),
        }
    }
}
