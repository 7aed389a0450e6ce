//! Finding peers: DNS-SD over mDNS. A device that serves announces `_hearth-images._tcp`
//! with, per image, the key id its versions were signed with and the versions it holds; a
//! device that fetches browses for the same type and asks only the peers that hold the
//! version it wants, signed by a key it trusts. What a peer announces is only a hint: every
//! byte it sends is still checked against the signed manifest.
//!
//! TXT record (each entry well under DNS-SD's 255 bytes):
//!
//! ```text
//! txtvers=1
//! img.<image>=<key id, 16 hex>;<version>[p],<version>[p],...   p: still being fetched
//! ```

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use mdns_sd::{ServiceDaemon, ServiceEvent, ServiceInfo};

use super::holdings::Held;
use crate::{Error, Result};

pub const SERVICE_TYPE: &str = "_hearth-images._tcp.local.";
const TXT_VERSION: &str = "1";
/// How long to go on listening once a first peer answered.
const PEERS_SETTLE: std::time::Duration = std::time::Duration::from_millis(500);
/// How often what is announced is compared with what the device holds.
const ANNOUNCE_EVERY: std::time::Duration = std::time::Duration::from_secs(2);
/// The most versions announced per image (a device holds a handful).
const MAX_VERSIONS: usize = 8;

/// What a peer offers of one image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    pub image: String,
    /// The signing key's id (see [`crate::signing::key_id`]).
    pub key: String,
    /// Versions held, each with whether it is still being fetched.
    pub versions: Vec<(u64, bool)>,
}

/// The offers of what a device holds, one per image, from its holdings.
pub fn offers(held: &[Held]) -> Vec<Offer> {
    let mut offers: Vec<Offer> = Vec::new();
    for version in held {
        let Some(key) = &version.key else { continue };
        match offers
            .iter_mut()
            .find(|offer| offer.image == version.image && offer.key == *key)
        {
            Some(offer) => offer.versions.push((version.version, version.partial)),
            None => offers.push(Offer {
                image: version.image.clone(),
                key: key.clone(),
                versions: vec![(version.version, version.partial)],
            }),
        }
    }
    for offer in &mut offers {
        offer
            .versions
            .sort_by_key(|entry| std::cmp::Reverse(entry.0));
        offer.versions.truncate(MAX_VERSIONS);
    }
    offers
}

/// The TXT properties announcing `offers`.
pub fn txt(offers: &[Offer]) -> Vec<(String, String)> {
    let mut properties = vec![("txtvers".to_string(), TXT_VERSION.to_string())];
    for offer in offers {
        let versions: Vec<String> = offer
            .versions
            .iter()
            .map(|(version, partial)| format!("{version}{}", if *partial { "p" } else { "" }))
            .collect();
        properties.push((
            format!("img.{}", offer.image),
            format!("{};{}", offer.key, versions.join(",")),
        ));
    }
    properties
}

/// The offers in a peer's TXT properties; entries that do not parse are left out (a peer is
/// only a hint).
pub fn parse_txt<'a>(properties: impl Iterator<Item = (&'a str, &'a str)>) -> Vec<Offer> {
    let mut offers = Vec::new();
    for (key, value) in properties {
        let Some(image) = key.strip_prefix("img.") else {
            continue;
        };
        if !crate::manifest::valid_image_name(image) {
            continue;
        }
        let Some((signer, list)) = value.split_once(';') else {
            continue;
        };
        if signer.len() != 16 || !signer.bytes().all(|byte| byte.is_ascii_hexdigit()) {
            continue;
        }
        let versions: Vec<(u64, bool)> = list
            .split(',')
            .take(MAX_VERSIONS)
            .filter_map(|entry| match entry.strip_suffix('p') {
                Some(number) => number.parse().ok().map(|version| (version, true)),
                None => entry.parse().ok().map(|version| (version, false)),
            })
            .collect();
        offers.push(Offer {
            image: image.to_string(),
            key: signer.to_ascii_lowercase(),
            versions,
        });
    }
    offers
}

/// A peer found on the network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// Its base URL.
    pub url: String,
    pub address: IpAddr,
    pub offers: Vec<Offer>,
}

/// Announcing this device and finding the others, on the interfaces allowed.
pub struct Discovery {
    daemon: ServiceDaemon,
    instance: String,
    found: Arc<Mutex<HashMap<String, Found>>>,
    announced: Mutex<Option<Vec<(String, String)>>>,
}

impl std::fmt::Debug for Discovery {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Discovery")
            .field("instance", &self.instance)
            .finish_non_exhaustive()
    }
}

impl Discovery {
    /// Starts mDNS on `interfaces` (names such as `eth0`; empty: every interface but
    /// loopback) and browses for peers at once.
    pub fn start(interfaces: &[String]) -> Result<Discovery> {
        let failed = |error: mdns_sd::Error| Error::Usage(format!("mDNS cannot start: {error}"));
        let daemon = ServiceDaemon::new().map_err(failed)?;
        if interfaces.is_empty() {
            daemon
                .disable_interface(vec![
                    mdns_sd::IfKind::LoopbackV4,
                    mdns_sd::IfKind::LoopbackV6,
                ])
                .map_err(failed)?;
        } else {
            daemon
                .disable_interface(mdns_sd::IfKind::All)
                .map_err(failed)?;
            for name in interfaces {
                daemon
                    .enable_interface(mdns_sd::IfKind::Name(name.clone()))
                    .map_err(failed)?;
            }
        }
        // An instance name of its own for each run: devices cloned from one image share
        // their machine id and host name.
        let seed = format!("{}-{:?}", std::process::id(), std::time::SystemTime::now());
        let instance = format!("hearth-{}", &blake3::hash(seed.as_bytes()).to_hex()[..12]);
        let found = Arc::new(Mutex::new(HashMap::new()));
        let events = daemon.browse(SERVICE_TYPE).map_err(failed)?;
        let own = format!("{instance}.{SERVICE_TYPE}");
        let table = found.clone();
        std::thread::Builder::new()
            .name("hearth-peers".to_string())
            .spawn(move || {
                while let Ok(event) = events.recv() {
                    note(&table, &own, event);
                }
            })
            .map_err(|error| Error::Usage(format!("mDNS cannot start: {error}")))?;
        Ok(Discovery {
            daemon,
            instance,
            found,
            announced: Mutex::new(None),
        })
    }

    /// Announces this device serving on `port` with `offers`; announces again only when
    /// they changed.
    pub fn announce(&self, port: u16, offers: &[Offer]) -> Result<()> {
        let properties = txt(offers);
        let mut announced = self.announced.lock().expect("discovery lock");
        if announced.as_ref() == Some(&properties) {
            return Ok(());
        }
        let info = ServiceInfo::new(
            SERVICE_TYPE,
            &self.instance,
            &format!("{}.local.", self.instance),
            (),
            port,
            &properties[..],
        )
        .map_err(|error| Error::Usage(format!("mDNS cannot announce: {error}")))?
        .enable_addr_auto();
        self.daemon
            .register(info)
            .map_err(|error| Error::Usage(format!("mDNS cannot announce: {error}")))?;
        tracing::info!(
            "announcing {} on port {port}: {properties:?}",
            self.instance
        );
        *announced = Some(properties);
        Ok(())
    }

    /// The peers that hold `version` of `image` signed by one of `keys`: those with all of
    /// it, and those still fetching it (this device left out), each set in a stable order.
    pub fn holders(&self, image: &str, version: u64, keys: &[String]) -> Holders {
        let found = self.found.lock().expect("discovery lock");
        let own = local_addresses();
        let mut holders = Holders::default();
        for peer in found.values() {
            if own.contains(&peer.address) {
                continue;
            }
            let held = peer
                .offers
                .iter()
                .filter(|offer| offer.image == image && keys.contains(&offer.key))
                .flat_map(|offer| offer.versions.iter())
                .find(|(held, _)| *held == version);
            match held {
                Some((_, false)) => holders.whole.push(peer.url.clone()),
                Some((_, true)) => holders.fetching.push(peer.clone()),
                None => {}
            }
        }
        holders.whole.sort();
        holders.fetching.sort_by_key(|peer| peer.address);
        holders
    }

    /// Whether any peer offers any version of `image`: a device that may soon fetch what
    /// this one fetches.
    pub fn anyone_has(&self, image: &str) -> bool {
        self.found
            .lock()
            .expect("discovery lock")
            .values()
            .any(|peer| peer.offers.iter().any(|offer| offer.image == image))
    }

    /// Waits until a peer was found and a moment more for others to answer, at most
    /// `timeout` (a fetch that starts at once would miss peers that answer within a second).
    pub fn wait_for_peers(&self, timeout: std::time::Duration) {
        let start = std::time::Instant::now();
        let mut first: Option<std::time::Instant> = None;
        while start.elapsed() < timeout {
            if first.is_none() && !self.found().is_empty() {
                first = Some(std::time::Instant::now());
            }
            if first.is_some_and(|first| first.elapsed() >= PEERS_SETTLE) {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }

    /// Every peer found so far.
    pub fn found(&self) -> Vec<Found> {
        self.found
            .lock()
            .expect("discovery lock")
            .values()
            .cloned()
            .collect()
    }
}

/// Peers holding a version, as [`Discovery::holders`] finds them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Holders {
    /// Base URLs of peers with the whole version.
    pub whole: Vec<String>,
    /// Peers fetching it now.
    pub fetching: Vec<Found>,
}

/// This device's own addresses: its own announcement is not a peer.
fn local_addresses() -> Vec<IpAddr> {
    if_addrs::get_if_addrs()
        .map(|interfaces| interfaces.iter().map(|interface| interface.ip()).collect())
        .unwrap_or_default()
}

/// The address this device reaches `peer` from (no packet is sent).
pub fn own_address_towards(peer: IpAddr) -> Option<IpAddr> {
    let bind: std::net::SocketAddr = if peer.is_ipv4() {
        ([0, 0, 0, 0], 0).into()
    } else {
        (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let socket = std::net::UdpSocket::bind(bind).ok()?;
    socket.connect((peer, 9)).ok()?;
    socket.local_addr().ok().map(|address| address.ip())
}

impl Drop for Discovery {
    fn drop(&mut self) {
        let _ = self.daemon.shutdown();
    }
}

/// Announces what `sharing` serves on `port` for as long as the task runs, again each time
/// what the device holds changes; nothing while serving is paused.
pub async fn keep_announcing(discovery: Arc<Discovery>, sharing: Arc<super::Sharing>, port: u16) {
    loop {
        let reader = sharing.clone();
        let held = tokio::task::spawn_blocking(move || reader.holdings().held())
            .await
            .unwrap_or_default();
        let offered = if sharing.paused().is_some() {
            Vec::new()
        } else {
            offers(&held)
        };
        if let Err(error) = discovery.announce(port, &offered) {
            tracing::warn!("{error}");
        }
        tokio::time::sleep(ANNOUNCE_EVERY).await;
    }
}

fn note(table: &Mutex<HashMap<String, Found>>, own: &str, event: ServiceEvent) {
    match event {
        ServiceEvent::ServiceResolved(service) => {
            if service.fullname.eq_ignore_ascii_case(own) {
                return;
            }
            let mut addresses: Vec<IpAddr> = service
                .addresses
                .iter()
                .filter(|address| !address.is_loopback())
                .map(|address| address.to_ip_addr())
                .collect();
            // IPv4 first: no scope to get right.
            addresses.sort_by_key(|address| (address.is_ipv6(), *address));
            let Some(address) = addresses.first() else {
                return;
            };
            let url = match address {
                IpAddr::V4(v4) => format!("http://{v4}:{}", service.port),
                IpAddr::V6(v6) => format!("http://[{v6}]:{}", service.port),
            };
            let offers = parse_txt(
                service
                    .txt_properties
                    .iter()
                    .map(|property| (property.key(), property.val_str())),
            );
            tracing::debug!("peer {} at {url}: {offers:?}", service.fullname);
            table.lock().expect("discovery lock").insert(
                service.fullname.to_ascii_lowercase(),
                Found {
                    url,
                    address: *address,
                    offers,
                },
            );
        }
        ServiceEvent::ServiceRemoved(_, fullname) => {
            table
                .lock()
                .expect("discovery lock")
                .remove(&fullname.to_ascii_lowercase());
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(properties: &[(&str, &str)], expected: Vec<Offer>) {
        assert_eq!(parse_txt(properties.iter().copied()), expected);
    }

    #[test]
    fn what_peers_announce_is_read_back_and_nonsense_is_left_out() {
        let offers = vec![Offer {
            image: "work".to_string(),
            key: "0123456789abcdef".to_string(),
            versions: vec![(3, true), (2, false), (1, false)],
        }];
        let properties = txt(&offers);
        assert_eq!(
            properties[1],
            (
                "img.work".to_string(),
                "0123456789abcdef;3p,2,1".to_string()
            )
        );
        check(
            &properties
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect::<Vec<_>>(),
            offers,
        );
        check(&[("img.work", "0123;2")], vec![]);
        check(&[("img.../x", "0123456789abcdef;2")], vec![]);
        check(&[("img.work", "no-semicolon")], vec![]);
        check(
            &[("img.work", "0123456789ABCDEF;x,2,7p")],
            vec![Offer {
                image: "work".to_string(),
                key: "0123456789abcdef".to_string(),
                versions: vec![(2, false), (7, true)],
            }],
        );
        check(&[("other", "0123456789abcdef;1")], vec![]);
    }
}
