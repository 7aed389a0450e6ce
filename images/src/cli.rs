//! The `hearth-image` command line.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::agent::{Agent, AgentConfig, Check, Control, ImageFolder, Restore};
use crate::publish::{self, PublishOptions};
use crate::signing;

#[derive(Parser)]
#[command(
    name = "hearth-image",
    version,
    about = "Hearth's signed image store: publish, verify, fetch"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Makes a new signing key pair (minisign format).
    Keygen {
        #[arg(long)]
        secret_key: PathBuf,
        #[arg(long)]
        public_key: PathBuf,
        /// Encrypt the secret key with the password in this environment variable.
        #[arg(long)]
        password_env: Option<String>,
    },
    /// Publishes a raw or qcow2 image as the next version of IMAGE in a store.
    Publish {
        #[arg(long)]
        store: PathBuf,
        #[arg(long)]
        image: String,
        #[arg(long)]
        secret_key: PathBuf,
        #[arg(long)]
        password_env: Option<String>,
        /// The version number (default: one more than the newest published).
        #[arg(long)]
        version: Option<u64>,
        /// Delta packs for this many of the newest earlier versions (and one for a first install).
        #[arg(long, default_value_t = 3)]
        deltas: usize,
        /// zstd level for single chunks.
        #[arg(long, default_value_t = 19)]
        chunk_level: i32,
        /// zstd level for delta packs.
        #[arg(long, default_value_t = 19)]
        pack_level: i32,
        #[arg(long)]
        threads: Option<usize>,
        /// The average chunk size in bytes (a power of two from 1024 to 1 MiB); the smallest
        /// is a quarter of it and the largest four times it. Without it, a version is cut
        /// like the one before it (so they share chunks), the first at 64 KiB.
        #[arg(long)]
        average_chunk: Option<u32>,
        /// Publish what ext2/3/4 filesystems hold in their free space (deleted files' old
        /// data) instead of zeros.
        #[arg(long)]
        keep_free_space: bool,
        input: PathBuf,
    },
    /// Checks a store's newest version of IMAGE: signature, chunks, packs, whole-image hash.
    /// With --installed, checks a device's installed versions instead: each whole file
    /// against the manifest it was verified with.
    Verify {
        #[arg(long, required_unless_present = "installed")]
        store: Option<PathBuf>,
        #[arg(long)]
        image: String,
        #[arg(long, required_unless_present = "installed")]
        public_key: Option<PathBuf>,
        /// Check the versions a device holds (with --state).
        #[arg(long, requires = "state")]
        installed: bool,
        /// The device's image state folder.
        #[arg(long)]
        state: Option<PathBuf>,
    },
    /// Fetches the newest version of IMAGE into a device's state folder.
    Fetch {
        #[command(flatten)]
        device: Device,
        /// A trusted public key; give two while a signing key is being rotated.
        #[arg(long = "public-key", required = true)]
        public_keys: Vec<PathBuf>,
        /// A store's base URL; give several to fail over in order.
        #[arg(long = "mirror", required = true)]
        mirrors: Vec<String>,
        /// A peer's base URL (a device on the local network running `hearth-image share` or
        /// the service with peers on), asked for chunks before the mirrors; give several.
        #[arg(long = "peer")]
        peers: Vec<String>,
        /// Look for peers over mDNS for up to this many seconds before fetching (and ask
        /// those that hold the version).
        #[arg(long)]
        discover: Option<u64>,
        /// Where to look for peers: a network interface's name; give several (default:
        /// every interface).
        #[arg(long = "interface")]
        interfaces: Vec<String>,
        /// Single chunks only, never delta packs.
        #[arg(long)]
        no_packs: bool,
        /// A bandwidth cap in bytes per second.
        #[arg(long)]
        limit_rate: Option<u64>,
        /// Make the fetched version current at once.
        #[arg(long)]
        activate: bool,
        /// Print progress as JSON lines, at most four a second.
        #[arg(long)]
        progress: bool,
        /// Keep checking the channel every this many seconds (and fetch what it offers)
        /// instead of checking once.
        #[arg(long)]
        every: Option<u64>,
        #[arg(long, default_value_t = 4)]
        attempts: u32,
        #[arg(long, default_value_t = 500)]
        backoff_ms: u64,
        #[arg(long, default_value_t = 30_000)]
        read_timeout_ms: u64,
    },
    /// Prints a device's versions of IMAGE as JSON.
    Status {
        #[command(flatten)]
        device: Device,
    },
    /// Makes the ready version of IMAGE current.
    Activate {
        #[command(flatten)]
        device: Device,
    },
    /// Goes back to the previous version of IMAGE; the one left is not fetched again.
    Rollback {
        #[command(flatten)]
        device: Device,
        #[arg(long, default_value = "rolled back by hand")]
        reason: String,
        /// Go back to the previous version as shipped, discarding what was written under it
        /// (without it: as it was left).
        #[arg(long)]
        as_shipped: bool,
    },
    /// Discards what was written under the current version of IMAGE: its VM starts on it as
    /// shipped (the data disk stays). Only while the VM is off.
    Reset {
        #[command(flatten)]
        device: Device,
    },
    /// Serves the verified chunks of a device's versions to peers on the local network,
    /// read-only, until stopped. Prints the address it serves on.
    Share {
        /// The device's image state folder.
        #[arg(long)]
        state: PathBuf,
        /// An image to share (default: every image in the folder); give several.
        #[arg(long = "image")]
        images: Vec<String>,
        #[arg(long, default_value_t = std::net::SocketAddr::from(([0, 0, 0, 0], crate::peers::DEFAULT_PORT)))]
        listen: std::net::SocketAddr,
        /// Peer addresses served at once; more are told to come back later.
        #[arg(long, default_value_t = 4)]
        max_peers: usize,
        /// An upload cap in KiB per second, shared by every peer.
        #[arg(long)]
        rate_kib: Option<u64>,
        /// Announce what is served over mDNS (DNS-SD `_hearth-images._tcp`).
        #[arg(long)]
        announce: bool,
        /// Where to announce: a network interface's name; give several (default: every
        /// interface).
        #[arg(long = "interface")]
        interfaces: Vec<String>,
    },
    /// Runs the agent as a service: every image in the config checked and fetched in the
    /// background, and driven over D-Bus as org.hearth.Images1.
    Serve {
        /// The service's settings (default: $XDG_CONFIG_HOME/hearth/images.toml).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Serve on the system bus (appliances) rather than the session bus.
        #[arg(long)]
        system: bool,
    },
}

#[derive(clap::Args)]
struct Device {
    /// The device's image state folder.
    #[arg(long)]
    state: PathBuf,
    #[arg(long)]
    image: String,
    /// Previous versions kept for rollback.
    #[arg(long, default_value_t = 1)]
    keep: usize,
}

pub fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("HEARTH_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("hearth-image: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Prints an update's outcome and activates a ready version when asked to.
fn finish(agent: &Agent, outcome: &crate::agent::Outcome, activate: bool) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string(outcome)?);
    if activate && matches!(outcome, crate::agent::Outcome::Ready { .. }) {
        agent.activate()?;
    }
    Ok(())
}

/// `$XDG_CONFIG_HOME/hearth/images.toml`, else `~/.config/hearth/images.toml`.
/// Hashes every installed version whole; an error when one is not as it was verified.
fn verify_installed(folder: &ImageFolder, image: &str) -> anyhow::Result<()> {
    let installed = folder.load()?.installed();
    let mut damaged = 0;
    for version in &installed {
        match folder.check_installed(*version)? {
            Check::Intact => println!(
                "{image} version {version}: intact ({})",
                folder.image_file(*version).display()
            ),
            Check::Damaged(reason) => {
                damaged += 1;
                println!(
                    "{image} version {version}: damaged ({}): {reason}",
                    folder.image_file(*version).display()
                );
            }
        }
    }
    match (damaged, installed.len()) {
        (0, 0) => println!("{image}: no version installed"),
        (0, _) => {}
        (1, _) => anyhow::bail!(
            "1 installed version of {image} is damaged: it seeds no update; go back to another version or reinstall"
        ),
        (count, _) => {
            anyhow::bail!("{count} installed versions of {image} are damaged: they seed no update")
        }
    }
    Ok(())
}

fn default_service_config() -> anyhow::Result<PathBuf> {
    let config_home = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|path| path.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config")))
        .context("neither XDG_CONFIG_HOME nor HOME is set: name the config with --config")?;
    Ok(config_home.join("hearth/images.toml"))
}

fn password(variable: Option<String>) -> anyhow::Result<Option<String>> {
    variable
        .map(|name| std::env::var(&name).with_context(|| format!("the environment has no {name}")))
        .transpose()
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Keygen {
            secret_key,
            public_key,
            password_env,
        } => {
            signing::keygen(&secret_key, &public_key, password(password_env)?)?;
            println!("{}", std::fs::read_to_string(&public_key)?.trim());
        }
        Command::Publish {
            store,
            image,
            secret_key,
            password_env,
            version,
            deltas,
            chunk_level,
            pack_level,
            threads,
            average_chunk,
            keep_free_space,
            input,
        } => {
            let key = signing::load_secret_key(&secret_key, password(password_env)?)?;
            let threads = threads.unwrap_or_else(|| {
                std::thread::available_parallelism().map_or(1, |count| count.get())
            });
            let published = publish::publish(
                &PublishOptions {
                    store,
                    image,
                    input,
                    version,
                    deltas,
                    chunk_level,
                    pack_level,
                    chunking: average_chunk.map(publish::chunking_around).transpose()?,
                    threads,
                    keep_free_space,
                },
                &key,
            )?;
            println!(
                "published version {} ({} bytes, {} of data, {} chunks, {} new chunks of {} bytes) as {}",
                published.version,
                published.size,
                published.data_bytes,
                published.chunks,
                published.new_chunks,
                published.new_chunk_bytes,
                published.manifest_path
            );
            for line in &published.free_space {
                println!("  {line}");
            }
            for (from, size) in published.packs {
                match from {
                    Some(from) => println!("  pack from version {from}: {size} bytes"),
                    None => println!("  pack for a first install: {size} bytes"),
                }
            }
        }
        Command::Verify {
            installed: true,
            state: Some(state),
            image,
            ..
        } => verify_installed(&ImageFolder::open(&state, &image)?, &image)?,
        Command::Verify {
            store,
            image,
            public_key,
            ..
        } => {
            let (Some(store), Some(public_key)) = (store, public_key) else {
                anyhow::bail!("verify needs --store and --public-key, or --installed and --state");
            };
            let key = signing::load_public_key(&public_key)?;
            let verified = publish::verify::verify_store(&store, &image, &key)?;
            println!(
                "{image} version {}: signature, {} chunks, {} packs and the whole image verified ({} bytes)",
                verified.version, verified.chunks, verified.packs, verified.size
            );
        }
        Command::Fetch {
            device,
            public_keys,
            mirrors,
            peers,
            discover,
            interfaces,
            no_packs,
            limit_rate,
            activate,
            progress,
            every,
            attempts,
            backoff_ms,
            read_timeout_ms,
        } => {
            let keys = public_keys
                .iter()
                .map(|path| signing::load_public_key(path))
                .collect::<Result<Vec<_>, _>>()?;
            let mut config = AgentConfig::new(&device.image, mirrors, keys, device.state);
            config.peers = peers;
            if let Some(seconds) = discover {
                let discovery = crate::peers::Discovery::start(&interfaces)?;
                discovery.wait_for_peers(Duration::from_secs(seconds));
                config.discovery = Some(std::sync::Arc::new(discovery));
            }
            config.use_packs = !no_packs;
            config.keep_previous = device.keep;
            config.retry.attempts = attempts.max(1);
            config.retry.backoff = Duration::from_millis(backoff_ms);
            config.retry.read_timeout = Duration::from_millis(read_timeout_ms);
            let agent = Agent::new(config)?;
            let control = Control::new();
            control.set_bandwidth_cap(limit_rate);
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let reporter = progress.then(|| {
                    let mut receiver = control.progress();
                    tokio::spawn(async move {
                        while receiver.changed().await.is_ok() {
                            let line = serde_json::to_string(&*receiver.borrow_and_update())
                                .expect("progress serialises");
                            println!("{line}");
                            tokio::time::sleep(Duration::from_millis(250)).await;
                        }
                    })
                });
                let result = match every {
                    None => {
                        let outcome = agent.update(&control).await;
                        outcome
                            .map_err(anyhow::Error::from)
                            .and_then(|outcome| finish(&agent, &outcome, activate))
                    }
                    Some(seconds) => {
                        let error = agent
                            .watch(&control, Duration::from_secs(seconds.max(1)), |outcome| {
                                match outcome {
                                    Ok(outcome) => {
                                        if let Err(error) = finish(&agent, outcome, activate) {
                                            eprintln!("hearth-image: {error:#}");
                                        }
                                    }
                                    Err(error) => eprintln!("hearth-image: {error}"),
                                }
                            })
                            .await;
                        Err(error.into())
                    }
                };
                if let Some(reporter) = reporter {
                    reporter.abort();
                }
                result
            })?;
        }
        Command::Status { device } => {
            let folder = ImageFolder::open(&device.state, &device.image)?;
            println!("{}", serde_json::to_string_pretty(&folder.load()?)?);
        }
        Command::Activate { device } => {
            let folder = ImageFolder::open(&device.state, &device.image)?;
            let version = folder.activate(device.keep)?;
            println!("{} version {version} is current", device.image);
        }
        Command::Rollback {
            device,
            reason,
            as_shipped,
        } => {
            let folder = ImageFolder::open(&device.state, &device.image)?;
            let restore = if as_shipped {
                Restore::AsShipped
            } else {
                Restore::AsLeft
            };
            let version = folder.rollback(&reason, restore)?;
            println!(
                "{} is back on version {version} ({})",
                device.image,
                restore.as_str()
            );
        }
        Command::Reset { device } => {
            let folder = ImageFolder::open(&device.state, &device.image)?;
            let version = folder.reset()?;
            println!("{} version {version} is as shipped again", device.image);
        }
        Command::Share {
            state,
            images,
            listen,
            max_peers,
            rate_kib,
            announce,
            interfaces,
        } => {
            let images = (!images.is_empty()).then_some(images);
            let holdings = crate::peers::Holdings::new(&state, images);
            let sharing =
                crate::peers::Sharing::new(holdings, max_peers, rate_kib.map(|kib| kib << 10));
            let discovery = if announce {
                Some(std::sync::Arc::new(crate::peers::Discovery::start(
                    &interfaces,
                )?))
            } else {
                None
            };
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()?
                .block_on(async {
                    let (bound, task) = crate::peers::start(listen, sharing.clone())
                        .await
                        .with_context(|| format!("listening on {listen}"))?;
                    if let Some(discovery) = discovery {
                        tokio::spawn(crate::peers::keep_announcing(
                            discovery,
                            sharing.clone(),
                            bound.port(),
                        ));
                    }
                    println!("serving peers on {bound}");
                    use std::io::Write;
                    std::io::stdout().flush()?;
                    let mut terminate =
                        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
                    tokio::select! {
                        _ = tokio::signal::ctrl_c() => {}
                        _ = terminate.recv() => {}
                    }
                    task.abort();
                    anyhow::Ok(())
                })?;
        }
        Command::Serve { config, system } => {
            let path = match config {
                Some(path) => path,
                None => default_service_config()?,
            };
            let config = crate::service::ServiceConfig::load(&path)?;
            let bus = if system {
                crate::service::Bus::System
            } else {
                crate::service::Bus::Session
            };
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()?
                .block_on(crate::service::serve(config, bus))?;
        }
    }
    Ok(())
}
