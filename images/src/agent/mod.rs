//! The download agent: brings a device from the versions it holds to the newest one the
//! channel offers, verified and resumable, without touching the version in use.

mod control;
mod disks;
mod fetch;
mod http;
mod peers;
mod plan;
mod progress;
mod staging;
mod state;
mod with_peers;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use minisign::PublicKey;

pub use control::Control;
pub use disks::{Check, Restore, Space, allocated};
pub use http::{RateLimit, RetryPolicy};
pub use peers::PeerReport;
pub use plan::{Piece, Plan, RANGE_LIMIT, plan};
pub use progress::{Phase, Progress};
pub use state::{DeviceState, HistoryEntry, HistoryEvent, ImageFolder};

use crate::error::IoContext;
use crate::store::{self, Channel};
use crate::{Error, Manifest, Result};
use http::Mirrors;
use staging::Staging;

#[derive(Debug, Clone)]
pub struct AgentConfig {
    pub image: String,
    /// Base URLs of the store, tried in order.
    pub mirrors: Vec<String>,
    /// Base URLs of peers on the local network, asked for chunks before the mirrors.
    pub peers: Vec<String>,
    /// Peers found on the network, asked after `peers` when they hold the version.
    pub discovery: Option<Arc<crate::peers::Discovery>>,
    /// The keys a manifest may be signed with (more than one while a key is rotated).
    pub public_keys: Vec<PublicKey>,
    /// Where each image's folder lives (`<state_dir>/<image>/`).
    pub state_dir: PathBuf,
    /// Use delta packs when they are cheaper (off: single chunks only).
    pub use_packs: bool,
    /// Single chunks requested at once.
    pub chunks_in_flight: usize,
    /// Older versions kept for rollback when a new one is activated (at least one).
    pub keep_previous: usize,
    /// The declared size of the VM's data disk, when it has one: what it may still grow by
    /// is not the download's to take.
    pub data_size: Option<u64>,
    /// Bytes a download leaves free besides (room for the running VM's overlay to grow).
    pub keep_free: u64,
    pub retry: RetryPolicy,
}

impl AgentConfig {
    pub fn new(
        image: &str,
        mirrors: Vec<String>,
        public_keys: Vec<PublicKey>,
        state_dir: PathBuf,
    ) -> AgentConfig {
        AgentConfig {
            image: image.to_string(),
            mirrors,
            peers: Vec::new(),
            discovery: None,
            public_keys,
            state_dir,
            use_packs: true,
            chunks_in_flight: 8,
            keep_previous: 1,
            data_size: None,
            keep_free: 0,
            retry: RetryPolicy::default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    UpToDate {
        version: u64,
    },
    /// The channel offers a version rolled back from or cancelled on this device.
    Declined {
        offered: u64,
    },
    Ready {
        version: u64,
        /// Bytes that came from the mirrors in this run: the channel, the manifest and its
        /// signature unless a resume had them, every frame and chunk, and what a retry or a
        /// damaged frame received again.
        fetched: u64,
        /// What came from peers.
        peers: PeerReport,
        /// Bytes the plan needed from the mirrors for the image's data once peers had given
        /// what they could (what a run with no retries fetches beside the channel and the
        /// manifest).
        planned: u64,
        requests: u64,
        /// Bytes of the image found on the device.
        reused: u64,
    },
}

#[derive(Debug)]
pub struct Agent {
    config: AgentConfig,
    folder: ImageFolder,
}

impl Agent {
    pub fn new(config: AgentConfig) -> Result<Agent> {
        if !crate::manifest::valid_image_name(&config.image) {
            return Err(Error::Usage(format!(
                "{:?} is not a valid image name",
                config.image
            )));
        }
        let folder = ImageFolder::open(&config.state_dir, &config.image)?;
        Ok(Agent { config, folder })
    }

    pub fn state(&self) -> Result<DeviceState> {
        self.folder.load()
    }

    pub fn folder(&self) -> &ImageFolder {
        &self.folder
    }

    /// Fetches the newest version if the channel offers one newer than what the device
    /// holds, up to the point where it is ready to be activated.
    pub async fn update(&self, control: &Control) -> Result<Outcome> {
        let image = self.config.image.clone();
        control.restart(|progress| {
            *progress = Progress {
                image,
                phase: Phase::Checking,
                ..Progress::default()
            };
        });
        let _lock = self.folder.lock()?;
        let mirrors = Mirrors::new(
            &self.config.mirrors,
            self.config.retry.clone(),
            control.limit(),
        )?;
        let state = self.folder.load()?;
        self.recover(&state)?;
        let offer = match self.offered(&mirrors, &state).await? {
            Offer::Installed(version) => {
                control.update(|progress| {
                    progress.phase = Phase::Ready;
                    progress.version = version;
                });
                return Ok(Outcome::UpToDate { version });
            }
            Offer::Declined(offered) => {
                control.update(|progress| progress.phase = Phase::Idle);
                return Ok(Outcome::Declined { offered });
            }
            Offer::New(offer) => offer,
        };
        let (manifest, bytes, signature) = *offer;
        let version = manifest.version;
        self.check_space(&manifest, &state)?;
        if let Some(pending) = state.pending
            && pending != version
        {
            self.remove_staging(pending);
        }
        let staging_manifest = self.folder.staging_manifest(version);
        // A staging file made for other manifest bytes (a store rebuilt under the same version)
        // may hold data where this one has zeros: start it again.
        if std::fs::read(&staging_manifest).is_ok_and(|old| old != bytes) {
            self.remove_staging(version);
        }
        state::write_durably(&staging_manifest, &bytes)?;
        state::write_durably(
            &staging_manifest.with_extension("json.minisig"),
            signature.as_bytes(),
        )?;
        let state = self.folder.modify(|state| {
            state.pending = Some(version);
            Ok(state.clone())
        })?;

        let result = self
            .fetch(&mirrors, control, manifest.clone(), &state)
            .await;
        let (reused, planned, peers) = match result {
            Ok(figures) => figures,
            Err(Error::Cancelled) => {
                self.remove_staging(version);
                self.folder.modify(|state| {
                    state.pending = None;
                    state.cancelled = Some(version);
                    Ok(())
                })?;
                control.update(|progress| progress.phase = Phase::Idle);
                return Err(Error::Cancelled);
            }
            Err(error @ Error::Corrupt { .. }) => {
                // The assembled image failed its final check although every chunk verified:
                // start it again rather than fail the same way on every run.
                self.remove_staging(version);
                return Err(error);
            }
            Err(error) => return Err(error),
        };

        self.install(version)?;
        let received = mirrors.received.load(Ordering::Relaxed);
        control.update(|progress| {
            progress.phase = Phase::Ready;
            progress.from_mirrors = received;
        });
        Ok(Outcome::Ready {
            version,
            fetched: mirrors.received.load(Ordering::Relaxed),
            peers,
            planned,
            requests: mirrors.requests.load(Ordering::Relaxed),
            reused,
        })
    }

    /// Checks the channel every `interval` and fetches what it offers, until cancelled. A
    /// failed check or download (a mirror down, a full disk) is handed to `report` and tried
    /// again at the next check, going on from what reached the disk.
    pub async fn watch(
        &self,
        control: &Control,
        interval: std::time::Duration,
        mut report: impl FnMut(&Result<Outcome>),
    ) -> Error {
        loop {
            let outcome = self.update(control).await;
            if let Err(Error::Cancelled) = outcome {
                return Error::Cancelled;
            }
            report(&outcome);
            tokio::select! {
                () = tokio::time::sleep(interval) => {}
                () = control.cancelled() => return Error::Cancelled,
            }
        }
    }

    /// Puts right what a run killed while installing left: a pending version already moved
    /// into place goes back to staging (its next run checks it and installs it), and files of
    /// versions the state no longer names are removed.
    fn recover(&self, state: &DeviceState) -> Result<()> {
        if let Some(pending) = state.pending {
            let (image, staging) = (
                self.folder.image_file(pending),
                self.folder.staging_file(pending),
            );
            if image.exists() && !staging.exists() && !state.installed().contains(&pending) {
                ImageFolder::unseal(&image)?;
                std::fs::rename(&image, &staging).at(&staging)?;
                let manifest = self.folder.manifest_file(pending);
                if manifest.exists() {
                    let _ = std::fs::rename(&manifest, self.folder.staging_manifest(pending));
                }
            }
        }
        self.folder.remove_unlisted(state);
        Ok(())
    }

    /// The channel's version with its verified manifest, unless the device has it or
    /// declines it.
    async fn offered(&self, mirrors: &Mirrors, state: &DeviceState) -> Result<Offer> {
        let image = &self.config.image;
        let channel = Channel::parse(
            &mirrors
                .get_small(&store::channel_path(image), store::MAX_SMALL_FILE)
                .await?,
        )?;
        if channel.image != *image {
            return Err(Error::BadManifest(format!(
                "the channel for {image} names the image {}",
                channel.image
            )));
        }
        let installed = state.newest_installed();
        self.check_not_older(channel.version, installed)?;
        self.check_not_behind_pending(channel.version, state)?;
        if Some(channel.version) == installed {
            return Ok(Offer::Installed(channel.version));
        }
        if state.declines(channel.version) {
            return Ok(Offer::Declined(channel.version));
        }
        if let Some(staged) = self.staged_offer(&channel, state) {
            tracing::info!(
                "{image} version {}: going on with the manifest already here",
                channel.version
            );
            return Ok(Offer::New(Box::new(staged)));
        }
        let bytes = mirrors
            .get_small(&channel.manifest, crate::manifest::MAX_MANIFEST_BYTES)
            .await?;
        let signature = mirrors
            .get_small(
                &store::signature_path(&channel.manifest),
                store::MAX_SMALL_FILE,
            )
            .await?;
        let signature = String::from_utf8(signature)
            .map_err(|_| Error::BadSignature("the signature file is not text".to_string()))?;
        crate::signing::verify_with_any(&bytes, &signature, &self.config.public_keys)?;
        let manifest = Manifest::parse(&bytes)?;
        if manifest.image != *image || manifest.version != channel.version {
            return Err(Error::BadManifest(format!(
                "the channel offers {image} version {}, its manifest is {} version {}",
                channel.version, manifest.image, manifest.version
            )));
        }
        self.check_not_older(manifest.version, installed)?;
        Ok(Offer::New(Box::new((Arc::new(manifest), bytes, signature))))
    }

    /// Refuses, before a byte is written, a version that would not fit beside what the
    /// device keeps: the versions and overlays it has, what the data disk may still grow by
    /// and `keep_free`.
    fn check_space(&self, manifest: &Manifest, state: &DeviceState) -> Result<()> {
        let space = self
            .folder
            .space(&state.installed(), self.config.data_size)?;
        let data: u64 = manifest
            .chunks
            .iter()
            .filter(|chunk| chunk.id.is_some())
            .map(|chunk| chunk.length)
            .sum();
        let staged = if state.pending == Some(manifest.version) {
            allocated(&self.folder.staging_file(manifest.version))
        } else {
            0
        };
        // The image's data not yet staged, a frame's spool and the manifest.
        let needed = data.saturating_sub(staged)
            + RANGE_LIMIT
            + crate::manifest::MAX_MANIFEST_BYTES.min(manifest.chunks.len() as u64 * 128);
        let kept = space.data_headroom + self.config.keep_free;
        if space.free >= needed.saturating_add(kept) {
            return Ok(());
        }
        Err(Error::NotEnoughSpace {
            image: self.config.image.clone(),
            version: manifest.version,
            needed,
            free: space.free.saturating_sub(kept),
            data_headroom: space.data_headroom,
            keep_free: self.config.keep_free,
            versions: space.versions,
            overlays: space.overlays,
            data: space.data,
        })
    }

    /// The manifest and signature an interrupted run left in staging, when they are the ones
    /// the channel names (its path carries the manifest's digest); checked again here.
    fn staged_offer(
        &self,
        channel: &Channel,
        state: &DeviceState,
    ) -> Option<(Arc<Manifest>, Vec<u8>, String)> {
        if state.pending != Some(channel.version) {
            return None;
        }
        let path = self.folder.staging_manifest(channel.version);
        let bytes = std::fs::read(&path).ok()?;
        if store::manifest_path(&self.config.image, channel.version, &bytes) != channel.manifest {
            return None;
        }
        let signature = std::fs::read_to_string(path.with_extension("json.minisig")).ok()?;
        crate::signing::verify_with_any(&bytes, &signature, &self.config.public_keys).ok()?;
        let manifest = Manifest::parse(&bytes).ok()?;
        (manifest.image == self.config.image && manifest.version == channel.version)
            .then(|| (Arc::new(manifest), bytes, signature))
    }

    /// A mirror that offers an older version than the one being fetched (a stale cache) does
    /// not throw that download away.
    fn check_not_behind_pending(&self, offered: u64, state: &DeviceState) -> Result<()> {
        match state.pending {
            Some(pending) if offered < pending => Err(Error::Stale {
                image: self.config.image.clone(),
                offered,
                pending,
            }),
            _ => Ok(()),
        }
    }

    fn check_not_older(&self, offered: u64, installed: Option<u64>) -> Result<()> {
        match installed {
            Some(installed) if offered < installed => Err(Error::Replay {
                image: self.config.image.clone(),
                offered,
                installed,
            }),
            _ => Ok(()),
        }
    }

    /// Fills the staging file: from an earlier run, from installed versions, then from the
    /// network. Returns the bytes reused and fetched.
    async fn fetch(
        &self,
        mirrors: &Mirrors,
        control: &Control,
        manifest: Arc<Manifest>,
        state: &DeviceState,
    ) -> Result<(u64, u64, PeerReport)> {
        let version = manifest.version;
        let staging_path = self.folder.staging_file(version);
        let installed = state.installed();
        let folder = self.folder.clone();
        let seed_manifest = manifest.clone();
        let image = self.config.image.clone();
        let (staging, reused, bases) = tokio::task::spawn_blocking(move || {
            let (staging, existed) = Staging::open(&staging_path, seed_manifest)?;
            let mut reused = if existed { staging.scan()? } else { 0 };
            let mut bases = Vec::new();
            for &version in &installed {
                // Only a version exactly as verified seeds: one something wrote to gives
                // nothing, not even its chunks that still match.
                match folder.check_installed(version) {
                    Ok(Check::Intact) => {}
                    Ok(Check::Damaged(reason)) => {
                        tracing::warn!("{image} version {version} is not used as a base: {reason}");
                        continue;
                    }
                    Err(error) => {
                        tracing::warn!("{image} version {version} is not used as a base: {error}");
                        continue;
                    }
                }
                if let Ok(seed) = folder.installed_manifest(version) {
                    let image = folder.image_file(version);
                    reused += staging.seed(&image, &seed)?;
                    bases.push(fetch::Installed {
                        manifest: Arc::new(seed),
                        image,
                    });
                }
            }
            Result::Ok((staging, reused, bases))
        })
        .await
        .expect("the staging scan never panics")?;
        let staging = Arc::new(staging);
        let intact: Vec<u64> = bases.iter().map(|base| base.manifest.version).collect();
        let full = manifest
            .pack_from(None)
            .map(|pack| pack.size)
            .unwrap_or_else(|| {
                manifest
                    .unique_chunks()
                    .iter()
                    .map(|(_, index)| manifest.chunks[*index as usize].stored)
                    .sum()
            });
        let plan = plan(
            &manifest,
            &staging.missing(),
            &intact,
            self.config.use_packs,
        );
        control.update(|progress| {
            progress.version = version;
            progress.phase = Phase::Fetching;
            progress.image_bytes = manifest.size;
            progress.reused = reused;
            progress.to_fetch = plan.bytes;
            progress.fetched = 0;
            progress.saved = full.saturating_sub(plan.bytes);
        });
        let download = fetch::Download {
            mirrors,
            staging: staging.clone(),
            manifest: manifest.clone(),
            installed: bases,
            control,
            chunks_in_flight: self.config.chunks_in_flight,
            spool: fetch::Spool::new(self.folder.spool_file(version)),
        };
        let with_peers = !self.config.peers.is_empty() || self.config.discovery.is_some();
        let (planned, peers) = if with_peers {
            // What the changes saved stays as first planned: peers' bytes are not the changes'.
            with_peers::PeerRun {
                config: &self.config,
                manifest: &manifest,
                staging: &staging,
                control,
                intact: &intact,
            }
            .run(&download)
            .await?
        } else {
            tracing::info!(
                "{} version {version}: {} bytes to fetch in {} pieces, {reused} bytes of the image already here",
                self.config.image,
                plan.bytes,
                plan.pieces.len()
            );
            download.run(&plan).await?;
            (plan.bytes, PeerReport::default())
        };
        if with_peers {
            tracing::info!(
                "{} version {version}: {} bytes from peers ({} wasted, {} dropped), {planned} planned from the mirrors",
                self.config.image,
                peers.bytes,
                peers.wasted,
                peers.dropped.len()
            );
        }
        // The bar ends full however the parts were counted.
        control.update(|progress| progress.to_fetch = progress.fetched);
        control.update(|progress| progress.phase = Phase::Verifying);
        let finishing = staging.clone();
        tokio::task::spawn_blocking(move || finishing.finish())
            .await
            .expect("the final check never panics")?;
        Ok((reused, planned, peers))
    }

    /// Moves a verified staging file into place as the ready version. The state is saved
    /// before a superseded ready version's files are removed, so it never names files that
    /// are gone.
    fn install(&self, version: u64) -> Result<()> {
        let image = self.folder.image_file(version);
        let staging = self.folder.staging_file(version);
        std::fs::rename(&staging, &image).at(&image)?;
        self.folder.seal(version)?;
        fetch::Spool::new(self.folder.spool_file(version)).clear();
        let manifest = self.folder.manifest_file(version);
        std::fs::rename(self.folder.staging_manifest(version), &manifest).at(&manifest)?;
        let _ = std::fs::rename(
            self.folder
                .staging_manifest(version)
                .with_extension("json.minisig"),
            manifest.with_extension("json.minisig"),
        );
        state::sync_folder(&image)?;
        let superseded = self.folder.modify(|state| {
            let superseded = state.ready.filter(|&ready| ready != version);
            state.ready = Some(version);
            state.pending = None;
            state.record(version, HistoryEvent::Ready, "");
            Ok(superseded)
        })?;
        if let Some(superseded) = superseded {
            self.folder.remove_version(superseded);
        }
        Ok(())
    }

    fn remove_staging(&self, version: u64) {
        fetch::Spool::new(self.folder.spool_file(version)).clear();
        for path in [
            self.folder.staging_file(version),
            self.folder.staging_manifest(version),
            self.folder
                .staging_manifest(version)
                .with_extension("json.minisig"),
        ] {
            let _ = std::fs::remove_file(path);
        }
    }

    /// Makes the ready version current (see [`ImageFolder::activate`]).
    pub fn activate(&self) -> Result<u64> {
        self.folder.activate(self.config.keep_previous)
    }

    /// Goes back to the previous version (see [`ImageFolder::rollback`]).
    pub fn rollback(&self, reason: &str, restore: Restore) -> Result<u64> {
        self.folder.rollback(reason, restore)
    }

    /// Back to the current version as shipped (see [`ImageFolder::reset`]).
    pub fn reset(&self) -> Result<u64> {
        self.folder.reset()
    }
}

/// What the channel offers, as far as this device is concerned.
enum Offer {
    Installed(u64),
    Declined(u64),
    New(Box<(Arc<Manifest>, Vec<u8>, String)>),
}
