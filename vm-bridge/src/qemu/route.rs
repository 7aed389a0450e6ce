//! How to reach a VM's QEMU display: among the `org.qemu` owners on a bus, or over a
//! peer-to-peer socket that libvirt hands out (`<graphics type='dbus' p2p='yes'/>`).

use std::os::fd::OwnedFd;
use std::sync::Arc;

use crate::libvirt::Bus;

/// Opens a fresh peer-to-peer display connection (libvirt's `OpenGraphicsFD`).
pub type FdOpener = Arc<dyn Fn() -> Result<OwnedFd, String> + Send + Sync>;

#[derive(Clone)]
pub enum DisplayRoute {
    /// QEMU queues for `org.qemu` on this bus; find it by VM name or UUID.
    Bus(Bus),
    /// A private connection to QEMU, asked for each time the link connects.
    PeerToPeer(FdOpener),
}

impl std::fmt::Debug for DisplayRoute {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DisplayRoute::Bus(bus) => write!(f, "Bus({bus:?})"),
            DisplayRoute::PeerToPeer(_) => f.write_str("PeerToPeer"),
        }
    }
}

/// Finds the route for a VM at the moment its link connects; None: the VM has no D-Bus
/// display (or its hypervisor cannot be asked right now).
pub type RouteResolver = Arc<dyn Fn(&crate::VmId) -> Option<DisplayRoute> + Send + Sync>;

/// What a domain's XML says about its D-Bus display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbusGraphics {
    /// `p2p='yes'`: only through `OpenGraphicsFD`.
    PeerToPeer,
    /// On a bus at this address (libvirt's private bus per VM, or one given in the XML).
    Address(String),
}

/// Reads `<graphics type='dbus' …/>` from a domain's (live) XML.
pub fn dbus_graphics(xml: &str) -> Option<DbusGraphics> {
    let mut rest = xml;
    while let Some(start) = rest.find("<graphics") {
        let tag_end = rest[start..]
            .find('>')
            .map(|e| start + e)
            .unwrap_or(rest.len());
        let tag = &rest[start..tag_end];
        rest = &rest[tag_end..];
        if attribute(tag, "type").as_deref() != Some("dbus") {
            continue;
        }
        if attribute(tag, "p2p").as_deref() == Some("yes") {
            return Some(DbusGraphics::PeerToPeer);
        }
        if let Some(address) = attribute(tag, "address") {
            return Some(DbusGraphics::Address(unescape(&address)));
        }
    }
    None
}

/// The value of `name='…'` or `name="…"` inside one tag.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let mut search = tag;
    while let Some(at) = search.find(name) {
        let before = search[..at].chars().last();
        let after = &search[at + name.len()..];
        search = after;
        if !before.is_some_and(char::is_whitespace) {
            continue;
        }
        let after = after.trim_start();
        let Some(after) = after.strip_prefix('=') else {
            continue;
        };
        let after = after.trim_start();
        let quote = after.chars().next()?;
        if quote != '\'' && quote != '"' {
            continue;
        }
        let value = &after[1..];
        let end = value.find(quote)?;
        return Some(value[..end].to_string());
    }
    None
}

fn unescape(value: &str) -> String {
    value
        .replace("&apos;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graphics_are_read_from_domain_xml() {
        for (xml, expected) in [
            (
                "<domain><devices><graphics type='dbus' p2p='yes'/></devices></domain>",
                Some(DbusGraphics::PeerToPeer),
            ),
            (
                "<devices><graphics type=\"dbus\" address=\"unix:path=/run/libvirt/qemu/dbus/1-vm-dbus.sock\"/>",
                Some(DbusGraphics::Address(
                    "unix:path=/run/libvirt/qemu/dbus/1-vm-dbus.sock".into(),
                )),
            ),
            (
                "<graphics type='vnc' port='5900'/><graphics type='dbus' p2p='no' address='unix:path=/a'/>",
                Some(DbusGraphics::Address("unix:path=/a".into())),
            ),
            ("<graphics type='vnc' p2p='yes'/>", None),
            ("<graphics type='dbus'/>", None),
            ("<domain/>", None),
            (
                "<graphics type='dbus' address='unix:path=/a&amp;b'>",
                Some(DbusGraphics::Address("unix:path=/a&b".into())),
            ),
        ] {
            assert_eq!(dbus_graphics(xml), expected, "xml {xml}");
        }
    }
}
