//! `images.toml`: the image service's settings (see `assets/images.example.toml`).
//!
//! Every mistake is reported with the file, the 1-based line and column, and what was
//! expected; unknown keys are mistakes too, so a typo never silently turns a policy off.

use std::path::{Path, PathBuf};
use std::time::Duration;

use minisign::PublicKey;
use serde::Deserialize;

use super::peers_config::{self, PeersConfig, PeersTable};
use crate::agent::Restore;
use crate::signing;

/// The service's settings, checked.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// Where each image's versions live (`<state_dir>/<image>/`).
    pub state_dir: PathBuf,
    pub check_interval: Duration,
    /// Bytes per second for each image's download; `None`: no cap.
    pub max_rate: Option<u64>,
    pub policy: Policy,
    pub peers: PeersConfig,
    pub images: Vec<ImageConfig>,
}

/// When downloads hold back by themselves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Policy {
    /// On a metered connection (NetworkManager's `Metered`).
    pub pause_on_metered: bool,
    /// On battery below this charge in percent; 0 never.
    pub pause_on_battery_below: f64,
}

#[derive(Debug, Clone)]
pub struct ImageConfig {
    pub name: String,
    /// The VM that boots from this image.
    pub vm: String,
    /// The VM's disk that carries the image (a libvirt target such as `vda`); empty means its
    /// first disk.
    pub disk: String,
    pub public_keys: Vec<PublicKey>,
    pub mirrors: Vec<String>,
    /// Older versions kept for rollback (at least one).
    pub keep_previous: usize,
    /// A VM that stops by itself this soon after its first start on a new version is rolled
    /// back.
    pub rollback_grace: Duration,
    /// How going back to a previous version restores it, unless the user chooses.
    pub rollback: Restore,
    /// The VM's disk for its user's data, kept across every version.
    pub data_disk: Option<DataDisk>,
    /// Bytes a download leaves free (room for the running VM's overlay to grow).
    pub keep_free: u64,
}

/// A disk of the VM's own for its user's data: made empty and sparse, attached beside the
/// image's disk, never touched by a version change, a rollback or a reset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataDisk {
    pub size: u64,
    /// Its libvirt target, such as `vdb`.
    pub target: String,
}

#[derive(Debug, thiserror::Error)]
#[error("{}:{line}:{column}: {message}", path.display())]
pub struct ConfigError {
    pub path: PathBuf,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    state_dir: Option<toml::Spanned<String>>,
    check_interval_seconds: Option<toml::Spanned<u64>>,
    max_rate_kib: Option<u64>,
    #[serde(default)]
    policy: PolicyTable,
    #[serde(default)]
    peers: PeersTable,
    #[serde(default, rename = "image")]
    images: Vec<ImageTable>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyTable {
    pause_on_metered: Option<bool>,
    pause_on_battery_below: Option<toml::Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ImageTable {
    name: toml::Spanned<String>,
    vm: Option<String>,
    disk: Option<String>,
    public_keys: toml::Spanned<Vec<toml::Spanned<String>>>,
    mirrors: toml::Spanned<Vec<toml::Spanned<String>>>,
    keep_previous: Option<toml::Spanned<usize>>,
    rollback_grace_seconds: Option<u64>,
    rollback: Option<toml::Spanned<String>>,
    keep_free_mib: Option<u64>,
    data_disk: Option<toml::Spanned<DataDiskTable>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DataDiskTable {
    size_mib: u64,
    target: Option<String>,
}

impl ServiceConfig {
    pub fn load(path: &Path) -> Result<ServiceConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|error| ConfigError {
            path: path.to_owned(),
            line: 1,
            column: 1,
            message: format!("cannot be read: {error}"),
        })?;
        ServiceConfig::parse(&text, path)
    }

    /// Parses a file's text; `path` names it in errors and anchors relative paths.
    pub fn parse(text: &str, path: &Path) -> Result<ServiceConfig, ConfigError> {
        let source = Source { text, path };
        let file: File = toml::from_str(text).map_err(|error| {
            source.error(
                error.span().unwrap_or(0..0),
                error.message().trim_end_matches('.'),
            )
        })?;
        let folder = path.parent().unwrap_or(Path::new(""));
        let state_dir = match file.state_dir {
            Some(dir) if dir.get_ref().trim().is_empty() => {
                return Err(source.error(dir.span(), "empty state_dir (expected a folder)"));
            }
            Some(dir) => folder.join(dir.into_inner()),
            None => default_state_dir(),
        };
        let check_interval = match file.check_interval_seconds {
            Some(seconds) if *seconds.get_ref() < 10 => {
                return Err(source.error(
                    seconds.span(),
                    "check_interval_seconds is too short (expected 10 or more)",
                ));
            }
            Some(seconds) => Duration::from_secs(seconds.into_inner()),
            None => Duration::from_secs(3600),
        };
        let pause_on_battery_below = match file.policy.pause_on_battery_below {
            Some(percent) if !(0.0..=100.0).contains(percent.get_ref()) => {
                return Err(source.error(
                    percent.span(),
                    "pause_on_battery_below is a percentage (expected 0 to 100)",
                ));
            }
            Some(percent) => percent.into_inner(),
            None => 20.0,
        };
        let peers = peers_config::check(&source, file.peers)?;
        let mut images: Vec<ImageConfig> = Vec::new();
        for table in file.images {
            let image = check_image(&source, folder, table)?;
            if images.iter().any(|other| other.name == image.name) {
                return Err(
                    source.error(0..0, &format!("the image {} is listed twice", image.name))
                );
            }
            images.push(image);
        }
        Ok(ServiceConfig {
            state_dir,
            check_interval,
            max_rate: file
                .max_rate_kib
                .filter(|&kib| kib > 0)
                .map(|kib| kib * 1024),
            policy: Policy {
                pause_on_metered: file.policy.pause_on_metered.unwrap_or(true),
                pause_on_battery_below,
            },
            peers,
            images,
        })
    }
}

fn check_image(
    source: &Source<'_>,
    folder: &Path,
    table: ImageTable,
) -> Result<ImageConfig, ConfigError> {
    let name_span = table.name.span();
    let name = table.name.into_inner();
    if !crate::manifest::valid_image_name(&name) {
        return Err(source.error(
            name_span,
            &format!("{name:?} is not an image name (expected letters, digits, '-', '_' and '.')"),
        ));
    }
    let keys_span = table.public_keys.span();
    let mut public_keys = Vec::new();
    for key in table.public_keys.into_inner() {
        let span = key.span();
        let text = key.into_inner();
        // A key is its base64 line, or the path of a minisign `.pub` file.
        let parsed = signing::parse_public_key(&text)
            .or_else(|_| signing::load_public_key(&folder.join(&text)));
        match parsed {
            Ok(key) => public_keys.push(key),
            Err(error) => return Err(source.error(span, &error.to_string())),
        }
    }
    if public_keys.is_empty() {
        return Err(source.error(keys_span, "no public key (expected at least one)"));
    }
    let mirrors_span = table.mirrors.span();
    let mut mirrors = Vec::new();
    for mirror in table.mirrors.into_inner() {
        let span = mirror.span();
        let url = mirror.into_inner();
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(source.error(
                span,
                &format!("{url:?} is not a store address (expected http:// or https://)"),
            ));
        }
        mirrors.push(url);
    }
    if mirrors.is_empty() {
        return Err(source.error(mirrors_span, "no mirror (expected at least one URL)"));
    }
    let keep_previous = match table.keep_previous {
        Some(keep) if *keep.get_ref() == 0 => {
            return Err(source.error(
                keep.span(),
                "keep_previous must be at least 1 (one old version is kept for rollback)",
            ));
        }
        Some(keep) => keep.into_inner(),
        None => 1,
    };
    let rollback = match table.rollback {
        None => Restore::AsLeft,
        Some(choice) => match choice.get_ref().as_str() {
            "as-left" => Restore::AsLeft,
            "as-shipped" => Restore::AsShipped,
            other => {
                return Err(source.error(
                    choice.span(),
                    &format!("rollback = {other:?} (expected \"as-left\" or \"as-shipped\")"),
                ));
            }
        },
    };
    let disk = table.disk.unwrap_or_default();
    let data_disk = match table.data_disk {
        None => None,
        Some(data) => {
            let span = data.span();
            let data = data.into_inner();
            let target = data.target.unwrap_or_else(|| "vdb".to_string());
            if data.size_mib == 0 {
                return Err(source.error(span, "data_disk.size_mib must be more than 0"));
            }
            if target == disk
                || target.is_empty()
                || !target.bytes().all(|b| b.is_ascii_alphanumeric())
            {
                return Err(source.error(
                    span,
                    &format!(
                        "data_disk.target {target:?} must name a disk of its own, such as \"vdb\""
                    ),
                ));
            }
            Some(DataDisk {
                size: data.size_mib << 20,
                target,
            })
        }
    };
    Ok(ImageConfig {
        vm: table.vm.unwrap_or_else(|| name.clone()),
        name,
        disk,
        rollback,
        data_disk,
        keep_free: table.keep_free_mib.unwrap_or(512) << 20,
        public_keys,
        mirrors,
        keep_previous,
        rollback_grace: Duration::from_secs(table.rollback_grace_seconds.unwrap_or(180)),
    })
}

/// `$XDG_DATA_HOME/hearth/images`, else `~/.local/share/hearth/images`.
fn default_state_dir() -> PathBuf {
    let data = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|path| path.is_absolute())
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".local/share")
        });
    data.join("hearth/images")
}

pub(super) struct Source<'a> {
    text: &'a str,
    path: &'a Path,
}

impl Source<'_> {
    pub(super) fn error(&self, span: std::ops::Range<usize>, message: &str) -> ConfigError {
        let before = &self.text[..span.start.min(self.text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
        ConfigError {
            path: self.path.to_owned(),
            line,
            column,
            message: message.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3";

    fn parse(text: &str) -> Result<ServiceConfig, ConfigError> {
        ServiceConfig::parse(text, Path::new("/etc/hearth/images.toml"))
    }

    #[test]
    fn a_full_file_is_read_with_its_defaults_filled_in() {
        let config = parse(&format!(
            "state_dir = \"images\"\ncheck_interval_seconds = 600\nmax_rate_kib = 512\n\
             [policy]\npause_on_battery_below = 35\n\
             [[image]]\nname = \"work\"\npublic_keys = [\"{KEY}\"]\nmirrors = [\"http://cache/store\"]\n"
        ))
        .expect("a valid file");
        assert_eq!(config.state_dir, Path::new("/etc/hearth/images"));
        assert_eq!(config.check_interval, Duration::from_secs(600));
        assert_eq!(config.max_rate, Some(512 * 1024));
        assert!(config.policy.pause_on_metered);
        assert_eq!(config.policy.pause_on_battery_below, 35.0);
        let image = &config.images[0];
        assert_eq!((image.name.as_str(), image.vm.as_str()), ("work", "work"));
        assert_eq!(image.keep_previous, 1);
        assert_eq!(image.rollback_grace, Duration::from_secs(180));
        assert_eq!(
            (image.rollback, &image.data_disk, image.keep_free),
            (Restore::AsLeft, &None, 512 << 20)
        );
    }

    #[test]
    fn a_data_disk_and_the_rollback_choice_are_read_and_checked() {
        let base = format!(
            "[[image]]\nname = \"work\"\npublic_keys = [\"{KEY}\"]\nmirrors = [\"http://a\"]\n"
        );
        let config = parse(&format!(
            "{base}rollback = \"as-shipped\"\nkeep_free_mib = 64\ndata_disk = {{ size_mib = 2048 }}\n"
        ))
        .expect("a valid file");
        let image = &config.images[0];
        assert_eq!(image.rollback, Restore::AsShipped);
        assert_eq!(image.keep_free, 64 << 20);
        assert_eq!(
            image.data_disk,
            Some(DataDisk {
                size: 2048 << 20,
                target: "vdb".into()
            })
        );
        let error = parse(&format!("{base}rollback = \"later\"\n")).expect_err("refused");
        assert_eq!(error.line, 5);
        assert!(error.message.contains("as-shipped"), "{error}");
        let error = parse(&format!(
            "{base}disk = \"vdb\"\ndata_disk = {{ size_mib = 1, target = \"vdb\" }}\n"
        ))
        .expect_err("one disk for both");
        assert_eq!(error.line, 6);
    }

    #[test]
    fn peers_are_off_unless_turned_on_and_their_table_is_checked() {
        let base = format!(
            "[[image]]\nname = \"work\"\npublic_keys = [\"{KEY}\"]\nmirrors = [\"http://a\"]\n"
        );
        assert_eq!(parse(&base).expect("valid").peers, PeersConfig::default());
        assert!(!PeersConfig::default().enabled);
        let config = parse(&format!(
            "[peers]\nenabled = true\ninterfaces = [\"eth0\"]\nupload_rate_kib = 2048\nknown = [\"http://10.0.0.5:47390\"]\n{base}"
        ))
        .expect("valid");
        assert_eq!(
            config.peers,
            PeersConfig {
                enabled: true,
                interfaces: vec!["eth0".into()],
                upload_rate: Some(2048 << 10),
                known: vec!["http://10.0.0.5:47390".into()],
                ..PeersConfig::default()
            }
        );
        for (table, line) in [
            ("[peers]\nmax_peers = 0\n", 2),
            ("[peers]\nport = 0\n", 2),
            ("[peers]\ninterfaces = [\"eth0\", \"../x\"]\n", 2),
            ("[peers]\nknown = [\"ftp://x\"]\n", 2),
            ("[peers]\nenable = true\n", 2),
        ] {
            let error = parse(&format!("{table}{base}")).expect_err(table);
            assert_eq!(error.line, line, "{table}: {error}");
        }
    }

    #[test]
    fn mistakes_point_at_their_line_and_column() {
        let error = parse(&format!(
            "[[image]]\nname = \"work\"\npublic_keys = [\"{KEY}\"]\nmirrors = [\"ftp://x\"]\n"
        ))
        .expect_err("ftp is refused");
        assert_eq!((error.line, error.column), (4, 12));
        assert!(error.message.contains("expected http"), "{error}");

        let error =
            parse("[[image]]\nname = \"work\"\npublic_keys = [\"nonsense\"]\nmirrors = []\n")
                .expect_err("a bad key is refused");
        assert_eq!(error.line, 3);

        let error = parse("check_interval = 5\n").expect_err("unknown keys are refused");
        assert_eq!((error.line, error.column), (1, 1));

        let error = parse(&format!(
            "[[image]]\nname = \"work\"\npublic_keys = [\"{KEY}\"]\nmirrors = [\"http://a\"]\nkeep_previous = 0\n"
        ))
        .expect_err("rollback needs a version");
        assert_eq!(error.line, 5);
        assert!(
            error
                .to_string()
                .starts_with("/etc/hearth/images.toml:5:17: "),
            "{error}"
        );
    }
}
