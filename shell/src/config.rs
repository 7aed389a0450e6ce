//! The user's settings file, `hearth.toml`: finding it, reading it, and pointing at mistakes in it.
//!
//! The file is TOML (see `assets/hearth.example.toml` for every key, explained). Every key
//! except a VM's `name` is optional, and an empty or absent file gives the demo. Unknown keys
//! are errors, so a typo is reported rather than silently ignored. Every error in the file's
//! contents carries the file's path, the 1-based line and column of the offending text and
//! what was expected there, so the message can be acted on without reading this code.

use std::collections::HashMap;
use std::ffi::OsString;
use std::fs;
use std::io;
use std::ops::{Range, RangeInclusive};
use std::path::{Path, PathBuf};
use std::time::Duration;

use hearth_vm_bridge::VmRole;
use hearth_vm_bridge::sim::{SimClock, SimConfig, SimVm};
use serde::Deserialize;
use toml::Spanned;

/// The UI languages Hearth has translations for, as BCP 47 tags in their canonical spelling.
pub const SUPPORTED_LANGUAGES: &[&str] = &["en-US", "de", "pl"];

/// The simulated screen widths accepted, in pixels.
pub const SCREEN_WIDTH_RANGE: RangeInclusive<u32> = 320..=7680;

/// The simulated screen heights accepted, in pixels.
pub const SCREEN_HEIGHT_RANGE: RangeInclusive<u32> = 240..=4320;

/// The longest simulated start or shutdown delay accepted, in milliseconds.
pub const MAXIMUM_DELAY_MS: u64 = 60_000;

/// Everything `hearth.toml` can set, checked and with defaults filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The UI language as one of [`SUPPORTED_LANGUAGES`], spelled as there; `None` leaves the
    /// choice to Hearth.
    pub language: Option<String>,
    /// A `tracing` filter such as `info` or `hearth=debug,warn`, already checked to parse.
    pub log: Option<String>,
    pub backend: BackendChoice,
    /// The VMs in file order. Empty means the file named none, and the simulated backend shows
    /// its demo VMs.
    pub vms: Vec<VmConfig>,
    pub simulated: SimulatedConfig,
    pub libvirt: LibvirtSettings,
    pub media: MediaSettings,
    pub images: ImagesSettings,
    pub playback: PlaybackSettings,
    /// Kiosk mode, when the file has a `[kiosk]` table.
    pub kiosk: Option<crate::kiosk::KioskSettings>,
    /// Where Hearth's own D-Bus service is offered.
    pub service_bus: crate::service::ServiceBus,
    pub appliance: ApplianceSettings,
    pub input: InputSettings,
}

/// Which hypervisor backend provides the VMs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendChoice {
    /// Pretend VMs drawn by Hearth itself, for demos and tests.
    Simulated,
    /// Real VMs through libvirt-dbus, their screens through QEMU's D-Bus display.
    Libvirt,
}

/// One `[[vm]]` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct VmConfig {
    /// The name shown on the VM's tile, trimmed; unique among the VMs, ignoring case.
    pub name: String,
    pub role: VmRole,
    /// Simulated backend only: whether the VM is running when Hearth starts.
    pub running: bool,
    /// Whether Hearth tells the guest the size of its view, so it can match its resolution.
    pub fit_display: bool,
    /// The tile's icon, resolved against the config file's directory; the file existed when
    /// the config was parsed.
    pub icon: Option<PathBuf>,
}

/// The `[simulated]` table: how the simulated backend behaves.
#[derive(Debug, Clone, PartialEq)]
pub struct SimulatedConfig {
    pub screen_width: u32,
    pub screen_height: u32,
    pub start_delay_ms: u64,
    pub shutdown_delay_ms: u64,
}

/// Why no configuration could be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read at all (missing, unreadable, a directory).
    #[error("cannot read config file \"{}\": {source}", path.display())]
    Read { path: PathBuf, source: io::Error },
    /// The file was read, but its contents are wrong at the given position.
    #[error("{}:{line}:{column}: {message}", path.display())]
    Invalid {
        path: PathBuf,
        /// 1-based line of the offending text.
        line: usize,
        /// 1-based column of the offending text, counted in characters.
        column: usize,
        /// What is wrong and what was expected, lowercase and without a trailing period.
        message: String,
    },
}

impl Default for SimulatedConfig {
    /// The sizes and delays of [`SimConfig::demo`].
    fn default() -> SimulatedConfig {
        let demo = SimConfig::demo();
        SimulatedConfig {
            screen_width: demo.screen_width,
            screen_height: demo.screen_height,
            start_delay_ms: whole_milliseconds(demo.start_delay),
            shutdown_delay_ms: whole_milliseconds(demo.shutdown_delay),
        }
    }
}

impl Config {
    /// The configuration Hearth runs with when there is no file: the VMs and timings of
    /// [`SimConfig::demo`] on the simulated backend.
    pub fn demo() -> Config {
        let vms = SimConfig::demo()
            .vms
            .into_iter()
            .map(|vm| VmConfig {
                name: vm.name,
                role: vm.role,
                running: vm.running,
                fit_display: true,
                icon: None,
            })
            .collect();
        Config {
            language: None,
            log: None,
            backend: BackendChoice::Simulated,
            vms,
            simulated: SimulatedConfig::default(),
            libvirt: LibvirtSettings::default(),
            media: MediaSettings {
                roots: None,
                samples: true,
            },
            images: ImagesSettings::default(),
            kiosk: None,
            service_bus: crate::service::ServiceBus::Session,
            appliance: ApplianceSettings::default(),
            playback: PlaybackSettings::default(),
            input: InputSettings::default(),
        }
    }

    /// Parses and checks the contents of a config file.
    ///
    /// `path` is used for error messages and to resolve relative icon paths against its
    /// directory; icon files are checked to exist, so this does touch the file system.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let source = SourceText { path, text };
        let file: ConfigFile = toml::from_str(text).map_err(|error| {
            let span = error.span().unwrap_or(0..0);
            source.invalid(span, error.message().trim_end_matches('.').to_owned())
        })?;

        let language = file
            .language
            .map(|language| check_language(&source, language))
            .transpose()?;
        let log = file
            .log
            .map(|log| check_log_filter(&source, log))
            .transpose()?;
        let simulated = check_simulated(&source, file.simulated.unwrap_or_default())?;
        let vms = check_vms(&source, file.vms)?;
        let libvirt = libvirt::check(&source, file.libvirt.unwrap_or_default())?;
        let media = media::check(&source, file.media.unwrap_or_default())?;
        let images = images::check(&source, file.images.unwrap_or_default())?;
        let playback = playback::check(&source, file.playback.unwrap_or_default())?;
        let kiosk = kiosk::check(&source, file.kiosk, &vms)?;
        let service_bus = service::check(&source, file.service.unwrap_or_default())?;
        let appliance = appliance::check(&source, file.appliance.unwrap_or_default())?;
        let input = input::check(&source, file.input.unwrap_or_default())?;

        Ok(Config {
            language,
            log,
            backend: file.backend.unwrap_or(BackendChoice::Simulated),
            vms,
            simulated,
            libvirt,
            media,
            images,
            playback,
            kiosk,
            service_bus,
            appliance,
            input,
        })
    }

    /// Reads and parses the config file at `path`; a missing or unreadable file is an error.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let bytes = fs::read(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let text = match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(error) => {
                let valid_up_to = error.utf8_error().valid_up_to();
                let bytes = error.into_bytes();
                // The valid prefix locates the bad byte; its own text is not needed.
                let prefix = String::from_utf8_lossy(&bytes[..valid_up_to]);
                let source = SourceText {
                    path,
                    text: &prefix,
                };
                return Err(source.invalid(
                    valid_up_to..valid_up_to,
                    "the file is not valid UTF-8 (expected a UTF-8 encoded TOML file)".to_owned(),
                ));
            }
        };
        Config::parse(&text, path)
    }

    /// The VMs Hearth can show before the `backend` in use answers, by name and role: the
    /// configured ones, or the demo's when the simulated backend runs without a list. Empty
    /// when libvirt is to show whatever domains it has.
    pub fn expected_vms(&self, backend: BackendChoice) -> Vec<(String, VmRole)> {
        match (self.vms.is_empty(), backend) {
            (false, _) => self
                .vms
                .iter()
                .map(|vm| (vm.name.clone(), vm.role))
                .collect(),
            (true, BackendChoice::Simulated) => SimConfig::demo()
                .vms
                .into_iter()
                .map(|vm| (vm.name, vm.role))
                .collect(),
            (true, BackendChoice::Libvirt) => Vec::new(),
        }
    }

    /// The simulated hypervisor's settings: the configured VMs (the demo VMs when the file
    /// named none), the `[simulated]` sizes and delays, and the system clock.
    pub fn sim_config(&self) -> SimConfig {
        let vms = if self.vms.is_empty() {
            SimConfig::demo().vms
        } else {
            self.vms
                .iter()
                .map(|vm| SimVm {
                    name: vm.name.clone(),
                    role: vm.role,
                    running: vm.running,
                })
                .collect()
        };
        SimConfig {
            vms,
            screen_width: self.simulated.screen_width,
            screen_height: self.simulated.screen_height,
            start_delay: Duration::from_millis(self.simulated.start_delay_ms),
            shutdown_delay: Duration::from_millis(self.simulated.shutdown_delay_ms),
            clock: SimClock::System,
        }
    }
}

/// Where Hearth looks for its config file when none is named: `$XDG_CONFIG_HOME/hearth/hearth.toml`,
/// else `$HOME/.config/hearth/hearth.toml`; `None` when neither variable is usable.
pub fn default_path() -> Option<PathBuf> {
    default_path_from(
        std::env::var_os("XDG_CONFIG_HOME"),
        std::env::var_os("HOME"),
    )
}

/// Loads the configuration Hearth should run with.
///
/// An explicit path (from `--config`) must exist and be valid. Without one, the file at
/// [`default_path`] is loaded if it exists, and [`Config::demo`] is used if it does not.
/// Returns the path actually loaded, if any.
pub fn load_or_demo(explicit: Option<&Path>) -> Result<(Config, Option<PathBuf>), ConfigError> {
    match explicit {
        Some(path) => load_explicit_or_default(Some(path), None),
        None => load_explicit_or_default(None, default_path()),
    }
}

/// [`load_or_demo`] with the default path passed in, so tests need not change the environment.
fn load_explicit_or_default(
    explicit: Option<&Path>,
    default: Option<PathBuf>,
) -> Result<(Config, Option<PathBuf>), ConfigError> {
    if let Some(path) = explicit {
        let config = Config::load(path)?;
        tracing::debug!(path = %path.display(), "loaded the config file named on the command line");
        return Ok((config, Some(path.to_owned())));
    }
    let Some(path) = default else {
        tracing::debug!(
            "no default config path (neither XDG_CONFIG_HOME nor HOME is set), using the demo"
        );
        return Ok((Config::demo(), None));
    };
    match fs::metadata(&path) {
        Ok(_) => {
            let config = Config::load(&path)?;
            tracing::debug!(path = %path.display(), "loaded the default config file");
            Ok((config, Some(path)))
        }
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            tracing::debug!(path = %path.display(), "no config file, using the demo");
            Ok((Config::demo(), None))
        }
        // A file that exists but cannot be examined is reported rather than silently replaced
        // by the demo, since the user evidently meant to configure Hearth.
        Err(source) => Err(ConfigError::Read { path, source }),
    }
}

/// The XDG rule behind [`default_path`]: a relative or empty `XDG_CONFIG_HOME` is ignored, as
/// the XDG Base Directory specification asks.
fn default_path_from(xdg_config_home: Option<OsString>, home: Option<OsString>) -> Option<PathBuf> {
    let xdg_config_home = xdg_config_home
        .map(PathBuf::from)
        .filter(|path| path.is_absolute());
    let config_home = match xdg_config_home {
        Some(path) => path,
        None => PathBuf::from(home.filter(|home| !home.is_empty())?).join(".config"),
    };
    Some(config_home.join("hearth").join("hearth.toml"))
}

/// The file as written, with serde's help for syntax, types and unknown keys.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    language: Option<Spanned<String>>,
    log: Option<Spanned<String>>,
    backend: Option<BackendChoice>,
    simulated: Option<SimulatedTable>,
    libvirt: Option<libvirt::LibvirtTable>,
    media: Option<media::MediaTable>,
    images: Option<images::ImagesTable>,
    playback: Option<playback::PlaybackTable>,
    kiosk: Option<kiosk::KioskTable>,
    service: Option<service::ServiceTable>,
    appliance: Option<appliance::ApplianceTable>,
    input: Option<input::InputTable>,
    #[serde(default, rename = "vm")]
    vms: Vec<VmTable>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SimulatedTable {
    screen_width: Option<Spanned<u32>>,
    screen_height: Option<Spanned<u32>>,
    start_delay_ms: Option<Spanned<u64>>,
    shutdown_delay_ms: Option<Spanned<u64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VmTable {
    name: Spanned<String>,
    role: Option<RoleSetting>,
    running: Option<bool>,
    fit_display: Option<bool>,
    icon: Option<Spanned<PathBuf>>,
}

/// [`VmRole`] as spelled in the file; the bridge crate's type stays free of serde.
#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum RoleSetting {
    Work,
    Personal,
    Other,
}

impl From<RoleSetting> for VmRole {
    fn from(role: RoleSetting) -> VmRole {
        match role {
            RoleSetting::Work => VmRole::Work,
            RoleSetting::Personal => VmRole::Personal,
            RoleSetting::Other => VmRole::Other,
        }
    }
}

/// The text being parsed and where it came from, to turn byte spans into located errors.
pub(crate) struct SourceText<'a> {
    path: &'a Path,
    text: &'a str,
}

impl SourceText<'_> {
    pub(crate) fn invalid(&self, span: Range<usize>, message: String) -> ConfigError {
        let (line, column) = self.line_and_column(span.start);
        ConfigError::Invalid {
            path: self.path.to_owned(),
            line,
            column,
            message,
        }
    }

    /// The 1-based line and character column of a byte offset; an offset inside a character
    /// or past the end is moved back to the nearest character boundary.
    fn line_and_column(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &self.text[..offset];
        let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
        let line = before.matches('\n').count() + 1;
        let column = before[line_start..].chars().count() + 1;
        (line, column)
    }
}

fn check_language(
    source: &SourceText<'_>,
    language: Spanned<String>,
) -> Result<String, ConfigError> {
    let span = language.span();
    let language = language.into_inner();
    // BCP 47 tags are case-insensitive, so "en-us" is accepted and stored as "en-US".
    match SUPPORTED_LANGUAGES
        .iter()
        .find(|supported| supported.eq_ignore_ascii_case(language.trim()))
    {
        Some(supported) => Ok((*supported).to_owned()),
        None => Err(source.invalid(
            span,
            format!(
                "unsupported language \"{language}\" (expected one of {})",
                quoted_list(SUPPORTED_LANGUAGES)
            ),
        )),
    }
}

fn check_log_filter(source: &SourceText<'_>, log: Spanned<String>) -> Result<String, ConfigError> {
    let span = log.span();
    let log = log.into_inner();
    match tracing_subscriber::EnvFilter::builder().parse(&log) {
        Ok(_) => Ok(log),
        Err(error) => Err(source.invalid(
            span,
            format!(
                "invalid log filter \"{log}\" (expected a tracing filter such as \"info\" or \"hearth=debug,warn\"): {error}"
            ),
        )),
    }
}

fn check_simulated(
    source: &SourceText<'_>,
    table: SimulatedTable,
) -> Result<SimulatedConfig, ConfigError> {
    let defaults = SimulatedConfig::default();
    Ok(SimulatedConfig {
        screen_width: check_screen_size(
            source,
            "screen_width",
            table.screen_width,
            SCREEN_WIDTH_RANGE,
        )?
        .unwrap_or(defaults.screen_width),
        screen_height: check_screen_size(
            source,
            "screen_height",
            table.screen_height,
            SCREEN_HEIGHT_RANGE,
        )?
        .unwrap_or(defaults.screen_height),
        start_delay_ms: check_delay(source, "start_delay_ms", table.start_delay_ms)?
            .unwrap_or(defaults.start_delay_ms),
        shutdown_delay_ms: check_delay(source, "shutdown_delay_ms", table.shutdown_delay_ms)?
            .unwrap_or(defaults.shutdown_delay_ms),
    })
}

fn check_screen_size(
    source: &SourceText<'_>,
    key: &str,
    size: Option<Spanned<u32>>,
    allowed: RangeInclusive<u32>,
) -> Result<Option<u32>, ConfigError> {
    let Some(size) = size else { return Ok(None) };
    let pixels = *size.get_ref();
    if allowed.contains(&pixels) {
        return Ok(Some(pixels));
    }
    Err(source.invalid(
        size.span(),
        format!(
            "{key} {pixels} is out of range (expected {} to {} pixels)",
            allowed.start(),
            allowed.end()
        ),
    ))
}

fn check_delay(
    source: &SourceText<'_>,
    key: &str,
    delay: Option<Spanned<u64>>,
) -> Result<Option<u64>, ConfigError> {
    let Some(delay) = delay else { return Ok(None) };
    let milliseconds = *delay.get_ref();
    if milliseconds <= MAXIMUM_DELAY_MS {
        return Ok(Some(milliseconds));
    }
    Err(source.invalid(
        delay.span(),
        format!(
            "{key} {milliseconds} is too long (expected at most {MAXIMUM_DELAY_MS} milliseconds)"
        ),
    ))
}

fn check_vms(source: &SourceText<'_>, tables: Vec<VmTable>) -> Result<Vec<VmConfig>, ConfigError> {
    let config_directory = source.path.parent().unwrap_or(Path::new(""));
    // Folded name to the line of the VM that first used it, to point back at it.
    let mut lines_by_folded_name: HashMap<String, usize> = HashMap::new();
    let mut vms = Vec::with_capacity(tables.len());
    for table in tables {
        let name_span = table.name.span();
        let name = table.name.get_ref().trim().to_owned();
        if name.is_empty() {
            return Err(source.invalid(
                name_span,
                "empty VM name (expected a name such as \"Work\")".to_owned(),
            ));
        }
        let folded_name = name.to_lowercase();
        if let Some(first_line) = lines_by_folded_name.get(&folded_name) {
            return Err(source.invalid(
                name_span,
                format!(
                    "duplicate VM name \"{name}\" (VM names must be unique, ignoring case; the first is on line {first_line})"
                ),
            ));
        }
        lines_by_folded_name.insert(folded_name, source.line_and_column(name_span.start).0);

        let icon = match table.icon {
            Some(icon) => Some(check_icon(source, config_directory, icon)?),
            None => None,
        };
        vms.push(VmConfig {
            name,
            role: table.role.map_or(VmRole::Other, VmRole::from),
            running: table.running.unwrap_or(true),
            fit_display: table.fit_display.unwrap_or(true),
            icon,
        });
    }
    Ok(vms)
}

fn check_icon(
    source: &SourceText<'_>,
    config_directory: &Path,
    icon: Spanned<PathBuf>,
) -> Result<PathBuf, ConfigError> {
    let span = icon.span();
    // Joining an absolute path replaces the directory, so absolute icons stay as written.
    let resolved = config_directory.join(icon.get_ref());
    let message = match fs::metadata(&resolved) {
        Ok(metadata) if metadata.is_dir() => {
            format!(
                "icon \"{}\" is a directory (expected an image file)",
                resolved.display()
            )
        }
        Ok(_) => return Ok(resolved),
        Err(error) if error.kind() == io::ErrorKind::NotFound => format!(
            "icon file \"{}\" does not exist (expected a path relative to the config file's directory, or an absolute path)",
            resolved.display()
        ),
        Err(error) => format!("cannot read icon file \"{}\": {error}", resolved.display()),
    };
    Err(source.invalid(span, message))
}

/// `"a", "b", "c"`, for listing the accepted values in a message.
fn quoted_list(values: &[&str]) -> String {
    values
        .iter()
        .map(|value| format!("\"{value}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A duration in whole milliseconds, saturating rather than failing on absurd lengths.
fn whole_milliseconds(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

mod appliance;
mod images;
mod input;
mod kiosk;
mod libvirt;
mod media;
mod playback;
mod service;

pub use appliance::{ApplianceSettings, calibrated};
pub use images::ImagesSettings;
pub use input::InputSettings;
pub use libvirt::LibvirtSettings;
pub use media::{MediaSettings, data_folder};
pub use playback::PlaybackSettings;

#[cfg(test)]
mod tests;
