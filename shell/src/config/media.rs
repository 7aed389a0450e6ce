//! The `[media]` table: which folders the media library shows.
//!
//! Roots that do not exist are accepted: a removable drive or a network folder may be away
//! when Hearth starts, and the library shows it when it comes back.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::{ConfigError, SourceText};

/// The library's folders, checked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MediaSettings {
    /// The folders to show; `None` means the XDG Videos, Music and Pictures folders.
    pub roots: Option<Vec<PathBuf>>,
    /// The demo: a sample library made on first run in Hearth's data folder is the only root.
    pub samples: bool,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct MediaTable {
    roots: Option<Vec<Spanned<String>>>,
}

/// Checks the table: roots are absolute, `~/…`, or relative to the config file's folder.
pub(super) fn check(
    source: &SourceText<'_>,
    table: MediaTable,
) -> Result<MediaSettings, ConfigError> {
    let Some(roots) = table.roots else {
        return Ok(MediaSettings::default());
    };
    let config_directory = source.path.parent().unwrap_or(Path::new(""));
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let mut resolved = Vec::with_capacity(roots.len());
    for root in roots {
        let span = root.span();
        let text = root.into_inner();
        if text.trim().is_empty() {
            return Err(source.invalid(span, "empty media folder (expected a path)".into()));
        }
        let path = match text.strip_prefix("~/") {
            Some(rest) => match &home {
                Some(home) => home.join(rest),
                None => {
                    return Err(source.invalid(
                        span,
                        format!("\"{text}\" starts with ~ but HOME is not set (expected an absolute path)"),
                    ));
                }
            },
            None => config_directory.join(&text),
        };
        if !resolved.contains(&path) {
            resolved.push(path);
        }
    }
    Ok(MediaSettings {
        roots: Some(resolved),
        samples: false,
    })
}

impl MediaSettings {
    /// The folders to scan: the configured ones, the sample folder in the demo, or the XDG
    /// user folders for videos, music and pictures.
    pub fn resolved_roots(&self) -> Vec<PathBuf> {
        if self.samples {
            return vec![data_folder().join("demo-media")];
        }
        if let Some(roots) = &self.roots {
            return roots.clone();
        }
        let home = std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_default();
        let config_home = std::env::var_os("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .filter(|path| path.is_absolute())
            .unwrap_or_else(|| home.join(".config"));
        let user_dirs =
            std::fs::read_to_string(config_home.join("user-dirs.dirs")).unwrap_or_default();
        [
            ("XDG_VIDEOS_DIR", "Videos"),
            ("XDG_MUSIC_DIR", "Music"),
            ("XDG_PICTURES_DIR", "Pictures"),
        ]
        .iter()
        .map(|(key, fallback)| {
            user_dir(&user_dirs, key, &home).unwrap_or_else(|| home.join(fallback))
        })
        .collect()
    }

    /// The index file: one per kind of library, so the demo never mixes with the owner's.
    pub fn index_file(&self) -> PathBuf {
        let name = if self.samples {
            "demo-library.sqlite"
        } else {
            "library.sqlite"
        };
        data_folder().join(name)
    }

    /// How the library service runs for these settings.
    pub fn library_settings(&self) -> hearth_media::LibrarySettings {
        let mut settings =
            hearth_media::LibrarySettings::new(self.resolved_roots(), self.index_file());
        settings.samples = self.samples;
        settings
    }
}

/// `$XDG_DATA_HOME/hearth`, else `~/.local/share/hearth`.
pub fn data_folder() -> PathBuf {
    std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|path| path.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("/tmp"))
        .join("hearth")
}

/// One entry of `user-dirs.dirs` (`XDG_VIDEOS_DIR="$HOME/Videos"`).
fn user_dir(file: &str, key: &str, home: &Path) -> Option<PathBuf> {
    let line = file
        .lines()
        .map(str::trim)
        .find(|line| line.starts_with(key) && line[key.len()..].trim_start().starts_with('='))?;
    let value = line.split_once('=')?.1.trim().trim_matches('"');
    let path = match value.strip_prefix("$HOME") {
        Some(rest) => home.join(rest.trim_start_matches('/')),
        None => PathBuf::from(value),
    };
    // The spec writes $HOME/ for "disabled"; that is no library folder.
    (path != home && path.is_absolute()).then_some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_dirs_are_read_as_xdg_user_dirs_writes_them() {
        let file = "# comment\nXDG_VIDEOS_DIR=\"$HOME/Filme\"\nXDG_MUSIC_DIR=\"/srv/music\"\nXDG_PICTURES_DIR=\"$HOME/\"\n";
        let home = Path::new("/home/ada");
        assert_eq!(
            user_dir(file, "XDG_VIDEOS_DIR", home),
            Some(PathBuf::from("/home/ada/Filme"))
        );
        assert_eq!(
            user_dir(file, "XDG_MUSIC_DIR", home),
            Some(PathBuf::from("/srv/music"))
        );
        assert_eq!(user_dir(file, "XDG_PICTURES_DIR", home), None);
        assert_eq!(user_dir(file, "XDG_DOWNLOAD_DIR", home), None);
    }
}
