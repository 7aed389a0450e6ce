//! A one-off connection to a VM's QEMU display, as a viewer that connects afresh would make.
//! Hearth itself keeps its links open; this exists for tools and for the benchmark that
//! compares a switch with a fresh connection.

use std::sync::Arc;

use super::link::{Connected, Peer, connect};
use super::route::DisplayRoute;
use crate::libvirt::Bus;
use crate::{Display, Error, Result};

pub struct Viewer {
    pub display: Arc<Display>,
    _peer: Peer,
    _connected: Connected,
}

impl Viewer {
    /// Connects to the display of the VM called `name` (or with this UUID) on `bus`. Returns
    /// once the listener is registered; frames arrive in `display` from then on.
    pub fn connect(bus: &Bus, name: &str, uuid: &str) -> Result<Viewer> {
        let display = Arc::new(Display::new());
        let route = DisplayRoute::Bus(bus.clone());
        let (peer, connected) = zbus::block_on(async {
            let Some(peer) = Peer::reach(&route, name, uuid).await? else {
                return Ok(None);
            };
            let connected = connect(&peer, display.clone(), None).await?;
            Ok::<_, zbus::Error>(Some((peer, connected)))
        })
        .map_err(|e| Error::Unavailable(e.to_string()))?
        .ok_or_else(|| Error::Unavailable(format!("no QEMU display for {name} on the bus")))?;
        Ok(Viewer {
            display,
            _peer: peer,
            _connected: connected,
        })
    }
}
