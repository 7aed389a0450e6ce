//! The parts of libvirt-dbus's interfaces Hearth uses, as zbus proxies (close to what
//! `zbus-xmlgen` emits for `org.libvirt.Connect` and `org.libvirt.Domain`).

use serde::Deserialize;
use zbus::proxy;
use zbus::zvariant::{OwnedFd, OwnedObjectPath, Type};

/// `GetState`'s reply, one `(ii)` struct: libvirt's virDomainState and its reason.
#[derive(Debug, Clone, Copy, Deserialize, Type)]
pub struct DomainState(pub i32, pub i32);

#[proxy(interface = "org.libvirt.Connect", default_service = "org.libvirt")]
pub trait Connect {
    /// Flags: 1 active, 2 inactive; 0 for all.
    fn list_domains(&self, flags: u32) -> zbus::Result<Vec<OwnedObjectPath>>;

    #[zbus(name = "DomainDefineXML")]
    fn domain_define_xml(&self, xml: &str) -> zbus::Result<OwnedObjectPath>;

    /// `event` is libvirt's virDomainEventType, `detail` its per-type detail.
    #[zbus(signal)]
    fn domain_event(&self, domain: OwnedObjectPath, event: i32, detail: i32) -> zbus::Result<()>;
}

#[proxy(interface = "org.libvirt.Domain", default_service = "org.libvirt")]
pub trait Domain {
    fn create(&self, flags: u32) -> zbus::Result<()>;
    fn shutdown(&self, flags: u32) -> zbus::Result<()>;
    fn destroy(&self, flags: u32) -> zbus::Result<()>;
    fn suspend(&self) -> zbus::Result<()>;
    fn resume(&self) -> zbus::Result<()>;
    fn get_state(&self, flags: u32) -> zbus::Result<DomainState>;

    #[zbus(name = "GetXMLDesc")]
    fn get_xml_desc(&self, flags: u32) -> zbus::Result<String>;

    /// A peer-to-peer connection to the domain's graphics (`<graphics type='dbus' p2p='yes'/>`).
    #[zbus(name = "OpenGraphicsFD")]
    fn open_graphics_fd(&self, index: u32, flags: u32) -> zbus::Result<OwnedFd>;

    #[zbus(property)]
    fn name(&self) -> zbus::Result<String>;
    #[zbus(property, name = "UUID")]
    fn uuid(&self) -> zbus::Result<String>;
}
