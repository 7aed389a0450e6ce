//! The service's part in a network of peers (`[peers]` in `images.toml`): serving what the
//! device holds, announcing it over mDNS, and finding the peers its downloads ask first.
//! Serving stops while the device is on battery or on a metered connection.

use std::sync::Arc;

use super::config::ServiceConfig;
use super::policy::Conditions;
use crate::peers::{Discovery, Holdings, Sharing};

/// What the runners and the policy follower need of the peer network.
pub struct PeerNetwork {
    pub sharing: Arc<Sharing>,
    pub discovery: Option<Arc<Discovery>>,
}

/// Starts serving, announcing and browsing. A part that cannot start (the port taken, no
/// multicast) is logged and left out; downloads go on from the mirrors regardless.
pub fn start(config: &ServiceConfig) -> PeerNetwork {
    let peers = &config.peers;
    let names = config
        .images
        .iter()
        .map(|image| image.name.clone())
        .collect();
    let holdings = Holdings::new(&config.state_dir, Some(names));
    let sharing = Sharing::new(holdings, peers.max_peers, peers.upload_rate);
    let discovery = match Discovery::start(&peers.interfaces) {
        Ok(discovery) => Some(Arc::new(discovery)),
        Err(error) => {
            tracing::warn!("{error}; only the known peers are asked and nothing is announced");
            None
        }
    };
    match crate::peers::server::listeners(peers.port, &peers.interfaces) {
        Ok(listeners) => {
            tracing::info!(
                "serving peers on port {} ({})",
                peers.port,
                if peers.interfaces.is_empty() {
                    "every interface".to_string()
                } else {
                    peers.interfaces.join(", ")
                }
            );
            for listener in listeners {
                tokio::spawn(crate::peers::server::serve(listener, sharing.clone()));
            }
            if let Some(discovery) = &discovery {
                tokio::spawn(crate::peers::keep_announcing(
                    discovery.clone(),
                    sharing.clone(),
                    peers.port,
                ));
            }
        }
        Err(error) => tracing::warn!(
            "peers cannot be served on port {}: {error}; this device only takes from them",
            peers.port
        ),
    }
    PeerNetwork { sharing, discovery }
}

/// Why the device serves no peers under these conditions, if it does not.
pub fn pause_reason(conditions: Conditions) -> Option<String> {
    if conditions.on_battery {
        return Some("on battery".to_string());
    }
    conditions
        .metered
        .then(|| "on a metered connection".to_string())
}
