//! A download with peers on the local network: first whatever peers holding the whole version
//! can give; then, when other devices are fetching the same version at the same time, the
//! mirrors' part shared out among them (each takes its own slice of the plan from the mirrors
//! and the rest from the others as they get it); what is still missing after that comes from
//! the mirrors. A fleet updating together costs the uplink about one device's download.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::AgentConfig;
use super::control::Control;
use super::fetch::Download;
use super::peers::{PeerReport, Peers};
use super::plan::{self, Plan};
use super::staging::Staging;
use crate::peers::{Discovery, Found, Holders};
use crate::{Manifest, Result};

/// How long a device that sees peers with the image waits for others fetching the same
/// version to show themselves (announcements are refreshed every two seconds, and a device
/// announces a version once it has its manifest).
const FELLOWS_WAIT: Duration = Duration::from_secs(5);
/// How long the set of devices fetching must stay the same before slices are taken.
const FELLOWS_STABLE: Duration = Duration::from_millis(2500);
/// The longest wait for fellows in all.
const FELLOWS_WAIT_MOST: Duration = Duration::from_secs(15);
/// A fellow whose slice brings nothing new for this long is left, and its slice is fetched
/// from the mirrors.
const FELLOW_STALL: Duration = Duration::from_secs(15);
/// Between two rounds of asking fellows for what they have fetched since.
const ROUND: Duration = Duration::from_millis(500);

/// What the run needs of the agent.
pub struct PeerRun<'a> {
    pub config: &'a AgentConfig,
    pub manifest: &'a Arc<Manifest>,
    pub staging: &'a Arc<Staging>,
    pub control: &'a Control,
    /// Installed versions intact enough to seed delta frames.
    pub intact: &'a [u64],
}

impl PeerRun<'_> {
    /// Fills the staging file from peers and `download`'s mirrors; returns the bytes the
    /// mirrors' plans came to and what peers gave.
    pub async fn run(&self, download: &Download<'_>) -> Result<(u64, PeerReport)> {
        let version = self.manifest.version;
        let mut report = PeerReport::default();
        let mut holders = self.holders(version);
        let mut whole = self.config.peers.clone();
        whole.extend(holders.whole.iter().cloned());
        self.ask_whole_holders(&whole, &mut report).await?;
        let mut plan = self.plan();
        if plan.pieces.is_empty() {
            return Ok((0, report));
        }
        if self.waits_for_fellows() {
            holders = self.wait_for_fellows(version).await?;
            // A device that finished meanwhile (its announcement lagging) holds it whole now.
            let found: Vec<String> = holders
                .whole
                .iter()
                .filter(|url| !whole.contains(url))
                .cloned()
                .collect();
            if !found.is_empty() {
                self.ask_whole_holders(&found, &mut report).await?;
                plan = self.plan();
                if plan.pieces.is_empty() {
                    return Ok((0, report));
                }
            }
        }
        if holders.fetching.is_empty() {
            self.planned(&plan);
            download.run(&plan).await?;
            return Ok((plan.bytes, report));
        }
        self.together(download, plan, holders.fetching, &mut report)
            .await
            .map(|planned| (planned, report))
    }

    /// Asks peers that hold the whole version for every chunk still missing.
    async fn ask_whole_holders(&self, urls: &[String], report: &mut PeerReport) -> Result<()> {
        if urls.is_empty() {
            return Ok(());
        }
        let peers = Peers::new(urls, false)?;
        peers
            .fetch(
                self.manifest,
                self.staging,
                self.control,
                self.config.chunks_in_flight,
            )
            .await?;
        report.add(peers.report());
        Ok(())
    }

    fn discovery(&self) -> Option<&Arc<Discovery>> {
        self.config.discovery.as_ref()
    }

    fn holders(&self, version: u64) -> Holders {
        let keys: Vec<String> = self
            .config
            .public_keys
            .iter()
            .map(crate::signing::key_id)
            .collect();
        self.discovery()
            .map(|discovery| discovery.holders(&self.config.image, version, &keys))
            .unwrap_or_default()
    }

    fn plan(&self) -> Plan {
        plan::plan(
            self.manifest,
            &self.staging.missing(),
            self.intact,
            self.config.use_packs,
        )
    }

    /// The bar's total once the mirrors' part is known: what was fetched and what is left.
    fn planned(&self, plan: &Plan) {
        self.control
            .update(|progress| progress.to_fetch = progress.fetched + plan.bytes);
    }

    /// Whether other devices here hold the image: one may be starting on this version too.
    fn waits_for_fellows(&self) -> bool {
        self.discovery()
            .is_some_and(|discovery| discovery.anyone_has(&self.config.image))
    }

    /// Waits [`FELLOWS_WAIT`] whole, then until the devices fetching have stayed the same for
    /// [`FELLOWS_STABLE`] (at most [`FELLOWS_WAIT_MOST`] in all), so that devices that
    /// started together see the same fellows and take disjoint slices; says who is fetching.
    async fn wait_for_fellows(&self, version: u64) -> Result<Holders> {
        let start = Instant::now();
        self.pause(FELLOWS_WAIT).await?;
        let addresses = |holders: &Holders| -> Vec<IpAddr> {
            holders
                .fetching
                .iter()
                .map(|fellow| fellow.address)
                .collect()
        };
        let mut holders = self.holders(version);
        let mut since = Instant::now();
        while since.elapsed() < FELLOWS_STABLE && start.elapsed() < FELLOWS_WAIT_MOST {
            self.pause(Duration::from_millis(250)).await?;
            let now = self.holders(version);
            if addresses(&now) != addresses(&holders) {
                since = Instant::now();
            }
            holders = now;
        }
        Ok(holders)
    }

    async fn pause(&self, length: Duration) -> Result<()> {
        tokio::select! {
            () = tokio::time::sleep(length) => Ok(()),
            () = self.control.cancelled() => Err(crate::Error::Cancelled),
        }
    }

    /// The download shared with `fellows`: this device's slice from the mirrors, theirs from
    /// them, what they do not bring in time from the mirrors. Returns the mirrors' bytes.
    async fn together(
        &self,
        download: &Download<'_>,
        plan: Plan,
        fellows: Vec<Found>,
        report: &mut PeerReport,
    ) -> Result<u64> {
        let Some(me) = crate::peers::own_address_towards(fellows[0].address) else {
            self.planned(&plan);
            download.run(&plan).await?;
            return Ok(plan.bytes);
        };
        let mut members: Vec<IpAddr> = fellows.iter().map(|fellow| fellow.address).collect();
        members.push(me);
        members.sort();
        members.dedup();
        let rank = members
            .iter()
            .position(|address| *address == me)
            .expect("this device is a member");
        report.together = members.len();
        tracing::info!(
            "{} version {}: fetching together with {} other device(s), slice {} of {}",
            self.config.image,
            self.manifest.version,
            members.len() - 1,
            rank + 1,
            members.len()
        );
        self.planned(&plan);
        let shares: Vec<Plan> = (0..members.len())
            .map(|member| plan::share(self.manifest, &plan, members.len(), member))
            .collect();
        let mut others = Vec::new();
        for (member, address) in members.iter().enumerate() {
            if let Some(fellow) = fellows.iter().find(|fellow| fellow.address == *address) {
                let wanted = plan::chunks_of(self.manifest, &shares[member]);
                others.push((Peers::new(std::slice::from_ref(&fellow.url), true)?, wanted));
            }
        }
        // A fellow that started earlier may have this device's slice already.
        let mine = plan::chunks_of(self.manifest, &shares[rank]);
        for (peers, _) in &others {
            peers
                .fetch_chunks(
                    mine.clone(),
                    self.manifest,
                    self.staging,
                    self.control,
                    self.config.chunks_in_flight,
                )
                .await?;
        }
        let own: std::collections::HashSet<crate::ChunkId> = mine
            .iter()
            .filter_map(|&index| self.manifest.chunks[index as usize].id)
            .collect();
        let missing = self.staging.missing();
        let slice = plan::plan(
            self.manifest,
            &missing.intersection(&own).copied().collect(),
            self.intact,
            self.config.use_packs,
        );
        download.run(&slice).await?;
        let mut planned = slice.bytes;

        let mut last_news = Instant::now();
        loop {
            let missing = self.staging.missing().len();
            if missing == 0 {
                break;
            }
            for (peers, wanted) in &others {
                if peers.any_left() {
                    peers
                        .fetch_chunks(
                            wanted.clone(),
                            self.manifest,
                            self.staging,
                            self.control,
                            self.config.chunks_in_flight,
                        )
                        .await?;
                }
            }
            if self.staging.missing().len() < missing {
                last_news = Instant::now();
            } else if last_news.elapsed() >= FELLOW_STALL
                || !others.iter().any(|(peers, _)| peers.any_left())
            {
                break;
            }
            self.pause(ROUND).await?;
        }
        for (peers, _) in others {
            report.add(peers.report());
        }
        let rest = self.plan();
        if !rest.pieces.is_empty() {
            tracing::info!(
                "{} version {}: {} bytes the others did not bring come from the mirrors",
                self.config.image,
                self.manifest.version,
                rest.bytes
            );
            self.planned(&rest);
            download.run(&rest).await?;
            planned += rest.bytes;
        }
        Ok(planned)
    }
}
