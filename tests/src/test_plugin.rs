//! A GStreamer plugin whose decoder misbehaves on purpose (tests/plugin/hearth-test-decoder.c),
//! built by the tests with the system's C compiler, and files that make it crash, allocate
//! without bound or hang on its first buffer.

use std::path::{Path, PathBuf};
use std::process::Command;

/// What a test file makes the decoder do.
#[derive(Debug, Clone, Copy)]
pub enum Misbehaviour {
    /// A write through a null pointer (SIGSEGV).
    Crash,
    /// 64 MiB blocks, written, until memory runs out.
    Hog,
    /// Never returns from its first buffer.
    Stall,
}

impl Misbehaviour {
    fn magic(self) -> &'static str {
        match self {
            Misbehaviour::Crash => "CRASH",
            Misbehaviour::Hog => "HOG",
            Misbehaviour::Stall => "STALL",
        }
    }
}

/// Builds the plugin into `folder` (once per source change) and returns that folder, for
/// `GST_PLUGIN_PATH`.
pub fn plugin_folder(folder: &Path) -> PathBuf {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("plugin/hearth-test-decoder.c");
    std::fs::create_dir_all(folder).expect("the plugin folder");
    let library = folder.join("libhearthtest.so");
    let modified = |path: &Path| std::fs::metadata(path).and_then(|m| m.modified()).ok();
    if modified(&library).is_some() && modified(&library) >= modified(&source) {
        return folder.to_path_buf();
    }
    let flags = Command::new("pkg-config")
        .args(["--cflags", "--libs", "gstreamer-1.0"])
        .output()
        .expect("pkg-config (cargo xtask setup installs it)");
    assert!(flags.status.success(), "pkg-config knows no gstreamer-1.0");
    let flags = String::from_utf8(flags.stdout).expect("UTF-8 flags");
    // Built beside and renamed, so tests running at once never load half a library.
    let partial = folder.join(format!("libhearthtest.{}.partial", std::process::id()));
    let built = Command::new("cc")
        .args(["-Wall", "-Werror", "-shared", "-fPIC", "-o"])
        .arg(&partial)
        .arg(&source)
        .args(flags.split_whitespace())
        .status()
        .expect("cc");
    assert!(built.success(), "the test plugin does not build");
    std::fs::rename(&partial, &library).expect("the plugin in place");
    folder.to_path_buf()
}

/// Writes a file named `name` in `folder` that makes the test decoder misbehave so.
pub fn misbehaving_file(folder: &Path, name: &str, how: Misbehaviour) -> PathBuf {
    let path = folder.join(name);
    // A FLAC signature for the library (named .mp3, so that no typefinder claims it by its
    // name before the test plugin's), the test decoder's magic at byte 64.
    let mut bytes = b"fLaC".to_vec();
    bytes.resize(64, 0);
    bytes.extend(format!("HEARTH-TEST-{}\n", how.magic()).bytes());
    bytes.resize(16 << 10, b'.');
    std::fs::write(&path, bytes).expect("a misbehaving file");
    path
}

/// A script that starts the media helper with the test plugin found first (its own registry
/// in `folder`), for [`hearth_media::player::PlayerLimits::binary`] or
/// `HEARTH_MEDIA_HELPER`: the helper gets the plugin, the test process does not, and only
/// the player process (`--player`) misbehaves; the library's helper reads the files.
pub fn helper_with_plugin(folder: &Path) -> PathBuf {
    let plugins = plugin_folder(&folder.join("plugin"));
    let script = folder.join("helper-with-test-plugin");
    let helper = hearth_media::helper::helper_binary();
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\n[ \"$1\" = --player ] && export HEARTH_TEST_MISBEHAVE=1\n\
             GST_PLUGIN_PATH='{}' GST_REGISTRY='{}' exec '{}' \"$@\"\n",
            plugins.display(),
            folder.join("registry.bin").display(),
            helper.display()
        ),
    )
    .expect("the helper script");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))
        .expect("an executable script");
    script
}
