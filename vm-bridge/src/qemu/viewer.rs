//! A one-off connection to a VM's QEMU display, as a viewer that connects afresh would make.
//! Hearth itself keeps its links open; this exists for tools and for the benchmark that
//! compares a switch with a fresh connection.

use std::sync::Arc;

use super::link::{Connected, connect};
use crate::libvirt::{Bus, connect_bus};
use crate::{Display, Error, Result};

pub struct Viewer {
    pub display: Arc<Display>,
    _connected: Connected,
}

impl Viewer {
    /// Connects to the display of the VM called `name` (or with this UUID) on `bus`. Returns
    /// once the listener is registered; frames arrive in `display` from then on.
    pub fn connect(bus: &Bus, name: &str, uuid: &str) -> Result<Viewer> {
        let display = Arc::new(Display::new());
        let connected = zbus::block_on(async {
            let connection = connect_bus(bus).await?;
            connect(&connection, name, uuid, display.clone()).await
        })
        .map_err(|e| Error::Unavailable(e.to_string()))?
        .ok_or_else(|| Error::Unavailable(format!("no QEMU display for {name} on the bus")))?;
        Ok(Viewer {
            display,
            _connected: connected,
        })
    }
}
