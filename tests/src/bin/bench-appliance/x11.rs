//! The X11 builds on this machine, for the memory beside the appliance's: `hearth` with the
//! guest's configuration (its system bus replaced by a private one) and the empty window, each
//! on Xvfb at the guest's size with folders of its own.

use hearth_tests::appliance::GUEST_CONFIG;
use hearth_tests::services::{PrivateBus, TempDir};
use hearth_tests::startup::{Screen, process_tree, rss_mib, sibling, start_and_watch, write};
use hearth_tests::xvfb::Xvfb;

use crate::guest::{IDLE, Memory, Unit};

pub fn settled_memory() -> Vec<(&'static str, Memory)> {
    let framebuffer = TempDir::new("bench-appliance-framebuffer");
    let fbdir = framebuffer.path().to_string_lossy().into_owned();
    let xvfb = Xvfb::start_with(&["-fbdir", &fbdir, "-br"]);
    let screen = Screen::open(framebuffer.path());
    let bus = PrivateBus::start();
    let home = TempDir::new("bench-appliance-home");
    let config = home.path().join("hearth.toml");
    let quoted_bus = format!("\"{}\"", bus.address);
    write(&config, &GUEST_CONFIG.replace("\"system\"", &quoted_bus));
    let config = config.to_string_lossy().into_owned();
    let folder = |name: &str| home.path().join(name).to_string_lossy().into_owned();
    let (config_home, cache_home, data_home) = (folder("config"), folder("cache"), folder("data"));
    let env = [
        (
            "HOME",
            home.path().to_str().expect("a UTF-8 temporary folder"),
        ),
        ("XDG_CONFIG_HOME", config_home.as_str()),
        ("XDG_CACHE_HOME", cache_home.as_str()),
        ("XDG_DATA_HOME", data_home.as_str()),
    ];
    let programs = [
        (Unit::EmptyWindow.title(), sibling("empty-window"), vec![]),
        (
            Unit::Hearth.title(),
            sibling("hearth"),
            vec!["--config", config.as_str()],
        ),
    ];
    programs
        .iter()
        .map(|(name, path, args)| {
            // The first start keeps what later ones read (Hearth's last screens).
            drop(start_and_watch(&screen, path, args, &env, &xvfb.display));
            let (running, _) = start_and_watch(&screen, path, args, &env, &xvfb.display);
            std::thread::sleep(IDLE);
            (*name, tree_memory(running.0.id()))
        })
        .collect()
}

/// The resident memory of `pid` and every process under it.
fn tree_memory(pid: u32) -> Memory {
    let tree = process_tree(pid);
    Memory {
        main_mib: rss_mib(pid),
        tree_mib: tree.iter().map(|&pid| rss_mib(pid)).sum(),
        processes: tree.len(),
    }
}
