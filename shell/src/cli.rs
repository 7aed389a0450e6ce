//! The `hearth` command: arguments, logging, configuration, then the window.

use std::path::PathBuf;
use std::process::ExitCode;
use std::rc::Rc;
use std::sync::Arc;

use anyhow::Context;
use clap::Parser;
use hearth_vm_bridge::Hypervisor;
use hearth_vm_bridge::libvirt::LibvirtHypervisor;
use hearth_vm_bridge::sim::SimHypervisor;
use slint::ComponentHandle;

use crate::App;
use crate::config::{self, BackendChoice, Config};
use crate::last_screens::LastScreens;

/// Hearth: the touch shell that switches between your virtual machines.
#[derive(Debug, Parser)]
#[command(name = "hearth", version)]
pub struct Args {
    /// Configuration file (default: $XDG_CONFIG_HOME/hearth/hearth.toml; built-in demo if absent).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Check the configuration, print what is wrong, and exit.
    #[arg(long)]
    pub check_config: bool,

    /// Scans the media library now, reads new files, and reports what it holds and which
    /// files and folders it left out, with the reasons.
    #[arg(long)]
    pub check_media: bool,

    /// Log filter, such as "info" or "hearth=debug" (also HEARTH_LOG).
    #[arg(long, value_name = "FILTER")]
    pub log: Option<String>,

    /// The image service's D-Bus address, overriding `[images] bus` in the configuration.
    #[arg(long, value_name = "ADDRESS")]
    pub images_bus: Option<String>,

    /// The hypervisor backend, overriding the configuration.
    #[arg(long, value_name = "BACKEND", value_parser = ["simulated", "libvirt"])]
    pub backend: Option<String>,

    /// The renderer: "software", or "wgpu" (GPU; on a CPU-only machine also set
    /// SLINT_WGPU_CPU=1 to accept a software Vulkan such as lavapipe).
    #[arg(long, value_name = "RENDERER", default_value = "software", value_parser = ["software", "wgpu"])]
    pub renderer: String,

    /// UI language (en-US, de, pl); defaults to the one last picked in settings, then the
    /// configuration, then LANG.
    #[arg(long, value_name = "CODE")]
    pub language: Option<String>,

    /// Render the main screens to PNG files in this folder and exit (no display needed).
    #[arg(long, value_name = "DIR")]
    pub render_screens: Option<PathBuf>,

    /// Print "first-frame <milliseconds since start>" once the first frame is on screen.
    #[arg(long)]
    pub report_first_frame: bool,

    /// Save the first frame, exactly as it is about to be drawn, to this PNG file (tests).
    #[arg(long, value_name = "FILE", hide = true)]
    pub snapshot_first_frame: Option<PathBuf>,

    /// Make the UI thread hang this many seconds after the first frame (watchdog tests).
    #[arg(long, value_name = "SECONDS", hide = true)]
    pub debug_hang_ui_after: Option<f64>,

    #[command(subcommand)]
    pub command: Option<Subcommand>,
}

#[derive(Debug, clap::Subcommand)]
pub enum Subcommand {
    /// Asks a running Hearth what it shows, or tells it what to do (over D-Bus,
    /// org.hearth.Shell1).
    Ctl(crate::service::ctl::CtlArgs),
    /// Reads an admin PIN (4 to 12 digits) from standard input and prints the `pin = …`
    /// line for the `[kiosk]` table: its argon2 hash, never the PIN.
    KioskPin,
}

/// Runs the `hearth` command and returns its exit status.
pub fn run() -> ExitCode {
    let mut args = Args::parse();
    match args.command.take() {
        Some(Subcommand::Ctl(ctl)) => return crate::service::ctl::run(ctl),
        Some(Subcommand::KioskPin) => return kiosk_pin(),
        None => {}
    }
    match run_with(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("hearth: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// `hearth kiosk-pin`: one PIN from standard input, its hash on standard output.
fn kiosk_pin() -> ExitCode {
    let mut line = String::new();
    if let Err(error) = std::io::stdin().read_line(&mut line) {
        eprintln!("hearth kiosk-pin: cannot read the PIN: {error}");
        return ExitCode::FAILURE;
    }
    let pin = line.trim();
    if !crate::kiosk::pin::valid(pin) {
        eprintln!("hearth kiosk-pin: a PIN is 4 to 12 digits");
        return ExitCode::FAILURE;
    }
    match crate::kiosk::pin::hash(pin) {
        Ok(hash) => {
            println!("pin = \"{hash}\"");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("hearth kiosk-pin: {error}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(filter: Option<&str>) {
    let filter = filter
        .map(str::to_string)
        .or_else(|| std::env::var("HEARTH_LOG").ok())
        .unwrap_or_else(|| "info".to_string());
    let filter = tracing_subscriber::EnvFilter::try_new(&filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    use std::io::IsTerminal;
    // Colours only on a terminal; under systemd the journal stamps each line itself, so
    // the lines carry no time of their own there.
    let colours = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colours);
    let _ = if std::env::var_os("JOURNAL_STREAM").is_some() {
        builder.without_time().try_init()
    } else {
        builder.try_init()
    };
}

fn run_with(args: Args) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let loaded = config::load_or_demo(args.config.as_deref());
    let (config, path) = match loaded {
        Ok(loaded) => loaded,
        Err(error) => {
            // The error already names the file, line and column.
            anyhow::bail!("{error}");
        }
    };
    init_logging(args.log.as_deref().or(config.log.as_deref()));
    if args.check_config {
        match &path {
            Some(path) => println!("{}: configuration is valid", path.display()),
            None => println!("no configuration file; the built-in demo is used"),
        }
        return Ok(());
    }
    if args.check_media {
        return crate::media::check::report(&config.media.library_settings());
    }
    let session_path = crate::session::SessionFile::in_user_state();
    // The language the user picked on the settings screen last time, unless told otherwise.
    let chosen_language = session_path
        .as_deref()
        .and_then(crate::session::SessionFile::peek)
        .and_then(|session| session.settings.language)
        .filter(|code| config::SUPPORTED_LANGUAGES.contains(&code.as_str()));
    let language = args
        .language
        .clone()
        .or(chosen_language)
        .or_else(|| config.language.clone())
        .unwrap_or_else(|| {
            hearth_ui::i18n::language_for_locale(&std::env::var("LANG").unwrap_or_default())
                .to_string()
        });
    if let Some(dir) = &args.render_screens {
        return crate::screens::render_all(dir, &config);
    }
    tracing::info!(config = ?path, language, "starting");

    let platform = select_platform(&args.renderer, &config)?;
    let window =
        hearth_ui::AppWindow::new().context("creating the window (is a display available?)")?;
    let app = App::new(window, &language);
    // The first frame is the complete home: the configured VMs with their icons and their
    // last screens from the previous run, until the hypervisor answers.
    app.set_icons(load_icons(&config));
    app.attach_media(config.media.library_settings());
    app.attach_playback(config.playback.clone());
    app.set_input(&config.input);
    let images_bus = match &args.images_bus {
        Some(address) => {
            zbus::Address::try_from(address.as_str())
                .with_context(|| format!("--images-bus {address:?} is not a D-Bus address"))?;
            Some(crate::downloads::Bus::Address(address.clone()))
        }
        None => config.images.bus.clone(),
    };
    if let Some(bus) = images_bus {
        app.attach_downloads(bus, crate::downloads::cache_in_user_cache());
    }
    let backend = match args.backend.as_deref() {
        Some("libvirt") => BackendChoice::Libvirt,
        Some(_) => BackendChoice::Simulated,
        None => config.backend,
    };
    app.expect_vms(config.expected_vms(backend), LastScreens::in_user_cache());
    app.keep_guest_sizes(
        config
            .vms
            .iter()
            .filter(|vm| !vm.fit_display)
            .map(|vm| vm.name.clone())
            .collect(),
    );
    if let Some(kiosk) = config.kiosk.clone() {
        app.enter_kiosk(kiosk, crate::kiosk::pin::Lockout::in_user_state());
    }
    if let Some(path) = session_path {
        app.keep_session(crate::session::SessionFile::new(path));
    }
    if args.renderer == "wgpu" {
        use_gpu_for_frames(&app)?;
    }
    let report_first_frame = args.report_first_frame;
    let service_bus = config.service_bus.clone();
    let hang_after = args.debug_hang_ui_after;
    // The media library's scan, the services and the player start once the first frame is
    // on screen, so they never compete with that frame for the CPU.
    let bus = service_bus.clone();
    let after_first_frame: Box<dyn FnOnce()> = Box::new(move || {
        let milliseconds = started.elapsed().as_secs_f64() * 1000.0;
        tracing::info!(
            milliseconds = format_args!("{milliseconds:.1}"),
            "first frame on screen"
        );
        if report_first_frame {
            println!("first-frame {milliseconds:.1}");
        }
        if let Some(app) = App::current() {
            app.first_frame_shown(&bus);
            crate::gamepad::start(&app);
        }
        if let Some(seconds) = hang_after {
            hang_ui_after(seconds);
        }
    });
    match platform {
        Platform::Window => {
            // Backends without the winit hook never report a first frame: start them a
            // little later.
            slint::Timer::single_shot(std::time::Duration::from_millis(500), move || {
                if let Some(app) = App::current() {
                    app.first_frame_shown(&service_bus);
                }
            });
            crate::winit_hook::install(
                Rc::downgrade(&app),
                Some(after_first_frame),
                args.snapshot_first_frame.clone(),
            );
        }
        #[cfg(feature = "linuxkms")]
        Platform::Kms => {
            let _ = service_bus;
            if args.snapshot_first_frame.is_some() {
                tracing::warn!("--snapshot-first-frame works only in a window, not on DRM/KMS");
            }
            crate::kms::after_first_frame(after_first_frame);
        }
    }

    // The hypervisor is built off the UI thread and attached once the window is up, so
    // nothing slow stands before the first frame.
    slint::Timer::single_shot(std::time::Duration::ZERO, move || {
        std::thread::Builder::new()
            .name("hypervisor-start".into())
            .spawn(move || {
                let hypervisor: Arc<dyn Hypervisor> = match backend {
                    BackendChoice::Simulated => Arc::new(SimHypervisor::new(config.sim_config())),
                    BackendChoice::Libvirt => {
                        Arc::new(LibvirtHypervisor::new(config.libvirt_config()))
                    }
                };
                let _ = slint::invoke_from_event_loop(move || {
                    if let Some(app) = App::current() {
                        app.attach(hypervisor);
                    }
                });
            })
            .map(|_| ())
            .unwrap_or_else(|error| tracing::error!(%error, "cannot start the hypervisor thread"));
    });
    app.window().run().context("running the window")?;
    app.stop_media();
    app.keep_last_screens_now();
    Ok(())
}

/// Hangs the UI thread for good after `seconds`, for tests of the watchdog.
fn hang_ui_after(seconds: f64) {
    let delay = std::time::Duration::from_secs_f64(seconds.max(0.0));
    slint::Timer::single_shot(delay, || {
        tracing::warn!("hanging the UI thread on purpose (--debug-hang-ui-after)");
        loop {
            std::thread::sleep(std::time::Duration::from_secs(1));
        }
    });
}

/// The configured VM icons; one that does not load is logged and left out (the tile shows its
/// role's icon instead).
fn load_icons(config: &Config) -> std::collections::HashMap<String, slint::Image> {
    config
        .vms
        .iter()
        .filter_map(|vm| {
            let path = vm.icon.as_ref()?;
            match slint::Image::load_from_path(path) {
                Ok(image) => Some((vm.name.clone(), image)),
                Err(_) => {
                    tracing::warn!(vm = %vm.name, path = %path.display(), "cannot load the VM's icon");
                    None
                }
            }
        })
        .collect()
}

/// Where Hearth draws.
enum Platform {
    /// A window on X11 or Wayland (winit).
    Window,
    /// Straight on DRM/KMS (the appliance build).
    #[cfg(feature = "linuxkms")]
    Kms,
}

/// The appliance's DRM/KMS when built for it and no desktop display is there; else a window
/// with the chosen renderer.
fn select_platform(renderer: &str, config: &Config) -> anyhow::Result<Platform> {
    #[cfg(feature = "linuxkms")]
    if crate::kms::wanted() {
        crate::kms::select(&config.appliance)?;
        return Ok(Platform::Kms);
    }
    let _ = config;
    select_renderer(renderer)?;
    Ok(Platform::Window)
}

fn select_renderer(renderer: &str) -> anyhow::Result<()> {
    let selector = slint::BackendSelector::new();
    let selector = match renderer {
        #[cfg(feature = "wgpu")]
        "wgpu" => selector.require_wgpu_30(slint::wgpu_30::WGPUConfiguration::default()),
        #[cfg(not(feature = "wgpu"))]
        "wgpu" => anyhow::bail!(
            "this build of Hearth has no wgpu renderer (built without the wgpu feature)"
        ),
        _ => selector.renderer_name("software".into()),
    };
    selector
        .select()
        .with_context(|| format!("selecting the {renderer} renderer"))
}

#[cfg(feature = "wgpu")]
fn use_gpu_for_frames(app: &Rc<App>) -> anyhow::Result<()> {
    let weak = Rc::downgrade(app);
    app.window()
        .window()
        .set_rendering_notifier(move |state, api| {
            if let (
                slint::RenderingState::RenderingSetup,
                slint::GraphicsAPI::WGPU30 { device, queue, .. },
            ) = (state, api)
                && let Some(app) = weak.upgrade()
            {
                app.use_gpu(device.clone(), queue.clone());
            }
        })
        .map_err(|error| anyhow::anyhow!("cannot reach the wgpu renderer: {error:?}"))
}

#[cfg(not(feature = "wgpu"))]
fn use_gpu_for_frames(_app: &Rc<App>) -> anyhow::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configured_icons_load_and_broken_ones_are_left_out() {
        let dir = std::env::temp_dir().join(format!("hearth-icons-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let good =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/icons/monitor.svg");
        std::fs::copy(&good, dir.join("good.svg")).expect("copy icon");
        std::fs::write(dir.join("broken.svg"), "<svg this is not").expect("write broken icon");
        let text = "[[vm]]\nname = \"A\"\nicon = \"good.svg\"\n\n[[vm]]\nname = \"B\"\nicon = \"broken.svg\"\n";
        let config = Config::parse(text, &dir.join("hearth.toml")).expect("config parses");
        let icons = load_icons(&config);
        let _ = std::fs::remove_dir_all(&dir);
        assert!(icons.contains_key("A"));
        assert!(!icons.contains_key("B"), "a broken icon is left out");
    }
}
