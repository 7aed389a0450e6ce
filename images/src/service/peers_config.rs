//! The `[peers]` table of `images.toml`: whether this device takes versions from other
//! devices on its network and gives them its own, where, and at what cost. Off unless
//! turned on: a device on a network it does not trust should not announce itself.

use serde::Deserialize;

use super::config::{ConfigError, Source};

/// Devices on the local network fetching from each other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeersConfig {
    pub enabled: bool,
    /// The TCP port chunks are served on.
    pub port: u16,
    /// Network interfaces to announce, browse and serve on; empty: every one but loopback.
    pub interfaces: Vec<String>,
    /// Peer addresses served at once.
    pub max_peers: usize,
    /// Bytes per second uploaded to peers, all together; `None`: no cap.
    pub upload_rate: Option<u64>,
    /// Peers always asked (base URLs), beside those found over mDNS.
    pub known: Vec<String>,
}

impl Default for PeersConfig {
    fn default() -> Self {
        PeersConfig {
            enabled: false,
            port: crate::peers::DEFAULT_PORT,
            interfaces: Vec::new(),
            max_peers: 4,
            upload_rate: None,
            known: Vec::new(),
        }
    }
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PeersTable {
    enabled: Option<bool>,
    port: Option<toml::Spanned<u16>>,
    interfaces: Option<Vec<toml::Spanned<String>>>,
    max_peers: Option<toml::Spanned<usize>>,
    upload_rate_kib: Option<u64>,
    known: Option<Vec<toml::Spanned<String>>>,
}

pub(super) fn check(source: &Source<'_>, table: PeersTable) -> Result<PeersConfig, ConfigError> {
    let defaults = PeersConfig::default();
    let port = match table.port {
        Some(port) if *port.get_ref() == 0 => {
            return Err(source.error(port.span(), "peers.port must be a port number (1 to 65535)"));
        }
        Some(port) => port.into_inner(),
        None => defaults.port,
    };
    let mut interfaces = Vec::new();
    for name in table.interfaces.unwrap_or_default() {
        let span = name.span();
        let name = name.into_inner();
        // Linux interface names: at most 15 bytes, no '/' nor blanks.
        if name.is_empty()
            || name.len() > 15
            || name.contains('/')
            || name.chars().any(char::is_whitespace)
        {
            return Err(source.error(
                span,
                &format!("{name:?} is not a network interface's name (such as \"eth0\")"),
            ));
        }
        interfaces.push(name);
    }
    let max_peers = match table.max_peers {
        Some(max) if *max.get_ref() == 0 => {
            return Err(source.error(max.span(), "peers.max_peers must be at least 1"));
        }
        Some(max) => max.into_inner(),
        None => defaults.max_peers,
    };
    let mut known = Vec::new();
    for url in table.known.unwrap_or_default() {
        let span = url.span();
        let url = url.into_inner();
        if !url.starts_with("http://") {
            return Err(source.error(
                span,
                &format!("{url:?} is not a peer's address (expected http://host:port)"),
            ));
        }
        known.push(url);
    }
    Ok(PeersConfig {
        enabled: table.enabled.unwrap_or(false),
        port,
        interfaces,
        max_peers,
        upload_rate: table
            .upload_rate_kib
            .filter(|&kib| kib > 0)
            .map(|kib| kib << 10),
        known,
    })
}
