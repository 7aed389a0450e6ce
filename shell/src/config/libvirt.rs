//! The `[libvirt]` table: where libvirt-dbus and the VMs' QEMU displays are.

use serde::Deserialize;
use toml::Spanned;

use hearth_vm_bridge::libvirt::{Bus, DisplaySource, LibvirtConfig, SelectedVm};

use super::{Config, ConfigError, SourceText};

/// How to reach libvirt, checked, with defaults filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LibvirtSettings {
    pub bus: Bus,
    /// libvirt-dbus's object path component for the connection: `QEMU`, `Test`, `Xen`…
    pub connection: String,
    /// Where the VMs' QEMU D-Bus displays are.
    pub displays: DisplaySource,
}

impl Default for LibvirtSettings {
    fn default() -> LibvirtSettings {
        LibvirtSettings {
            bus: Bus::System,
            connection: "QEMU".into(),
            displays: DisplaySource::Libvirt,
        }
    }
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LibvirtTable {
    bus: Option<Spanned<String>>,
    connection: Option<Spanned<String>>,
    displays: Option<Spanned<String>>,
}

fn bus_from(text: &str) -> Option<Bus> {
    match text {
        "session" => Some(Bus::Session),
        "system" => Some(Bus::System),
        address if address.contains(':') && zbus::Address::try_from(address).is_ok() => {
            Some(Bus::Address(address.to_string()))
        }
        _ => None,
    }
}

fn bus(source: &SourceText<'_>, value: Spanned<String>) -> Result<Bus, ConfigError> {
    let span = value.span();
    let text = value.into_inner();
    bus_from(text.trim()).ok_or_else(|| {
        let expected = "\"session\", \"system\" or a D-Bus address such as \"unix:path=/run/bus\"";
        source.invalid(
            span,
            format!("invalid bus \"{}\" (expected {expected})", text.trim()),
        )
    })
}

fn displays(source: &SourceText<'_>, value: Spanned<String>) -> Result<DisplaySource, ConfigError> {
    let span = value.span();
    let text = value.into_inner();
    match text.trim() {
        "libvirt" => Ok(DisplaySource::Libvirt),
        "none" => Ok(DisplaySource::None),
        other => bus_from(other).map(DisplaySource::Bus).ok_or_else(|| {
            let expected = "\"libvirt\", \"none\", \"session\", \"system\" or a D-Bus address";
            source.invalid(
                span,
                format!("invalid displays \"{other}\" (expected {expected})"),
            )
        }),
    }
}

pub(super) fn check(
    source: &SourceText<'_>,
    table: LibvirtTable,
) -> Result<LibvirtSettings, ConfigError> {
    let mut settings = LibvirtSettings::default();
    if let Some(value) = table.bus {
        settings.bus = bus(source, value)?;
    }
    if let Some(value) = table.displays {
        settings.displays = displays(source, value)?;
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
            displays: self.libvirt.displays.clone(),
        }
    }
}
