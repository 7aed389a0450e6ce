//! `hearth-image serve`: the download agent as a long-lived service of its own, so a download
//! outlives the screen. One runner per configured image checks and fetches; each image is a
//! D-Bus object clients (Hearth, `busctl`, `gdbus`) read and drive; NetworkManager and
//! UPower decide when downloads hold back.

pub mod config;
mod interface;
mod peers_config;
mod policy;
mod runner;
mod sharing;

use std::sync::Arc;

use anyhow::Context;
use tokio::sync::watch;

pub use config::{DataDisk, ImageConfig, Policy, ServiceConfig};
pub use interface::{BUS_NAME, INTERFACE, ROOT_PATH, SIGNAL_INTERVAL, object_path};
pub use peers_config::PeersConfig;
pub use policy::Conditions;
pub use runner::{Hold, Snapshot};

use interface::ImageObject;
use runner::Runner;

/// Which bus the service is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bus {
    /// `DBUS_SESSION_BUS_ADDRESS`: development and tests.
    Session,
    /// Appliances, with the policy file in `assets/dbus/`.
    System,
}

/// Runs until SIGINT or SIGTERM. A download cut off this way goes on from where it stopped
/// at the next start.
pub async fn serve(config: ServiceConfig, bus: Bus) -> anyhow::Result<()> {
    std::fs::create_dir_all(&config.state_dir)
        .with_context(|| format!("creating {}", config.state_dir.display()))?;
    let network = config.peers.enabled.then(|| sharing::start(&config));
    let mut runners = Vec::new();
    for image in &config.images {
        let peers = runner::PeerSources {
            known: if config.peers.enabled {
                config.peers.known.clone()
            } else {
                Vec::new()
            },
            discovery: network
                .as_ref()
                .and_then(|network| network.discovery.clone()),
        };
        let runner = Runner::new(
            image.clone(),
            &config.state_dir,
            config.check_interval,
            config.max_rate,
            peers,
        )
        .with_context(|| format!("opening the image {}", image.name))?;
        runners.push(Arc::new(runner));
    }

    let builder = match bus {
        Bus::Session => zbus::connection::Builder::session()?,
        Bus::System => zbus::connection::Builder::system()?,
    };
    // Objects first, then the name: a client that sees the name finds the objects.
    let mut builder = builder.serve_at(ROOT_PATH, zbus::fdo::ObjectManager)?;
    for runner in &runners {
        builder = builder.serve_at(
            object_path(&runner.config.name),
            ImageObject {
                runner: runner.clone(),
            },
        )?;
    }
    let connection = builder
        .name(BUS_NAME)?
        .build()
        .await
        .with_context(|| format!("taking the name {BUS_NAME} on the {bus:?} bus"))?;
    tracing::info!(
        "serving {} image(s) as {BUS_NAME} on the {bus:?} bus",
        runners.len()
    );

    for runner in &runners {
        let emitter =
            zbus::object_server::SignalEmitter::new(&connection, object_path(&runner.config.name))?
                .into_owned();
        tokio::spawn(interface::emit_changes(runner.clone(), emitter));
        tokio::spawn(runner.clone().run());
    }
    let sharing = network.map(|network| network.sharing);
    tokio::spawn(follow_policy(config.policy, runners.clone(), sharing));

    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
    tracing::info!("stopping; downloads go on from here at the next start");
    Ok(())
}

/// Tells every runner whether the system's conditions hold it back, and stops serving peers
/// while they say so.
async fn follow_policy(
    policy: Policy,
    runners: Vec<Arc<Runner>>,
    sharing: Option<Arc<crate::peers::Sharing>>,
) {
    let (sender, mut receiver) = watch::channel(Conditions::default());
    tokio::spawn(async move {
        if let Err(error) = policy::watch_conditions(sender).await {
            tracing::warn!(
                "no system bus ({error}): downloads do not pause on metered links or low batteries"
            );
        }
    });
    loop {
        let conditions = *receiver.borrow_and_update();
        let hold = policy.hold(conditions);
        tracing::debug!("conditions {conditions:?}: hold {hold:?}");
        for runner in &runners {
            runner.set_policy_hold(hold);
        }
        if let Some(sharing) = &sharing {
            sharing.pause(sharing::pause_reason(conditions));
        }
        if receiver.changed().await.is_err() {
            return;
        }
    }
}
