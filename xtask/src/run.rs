//! `cargo xtask run`: Hearth in demo mode, on the user's display or on a virtual one.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};

use crate::{cargo, packages, root, status};

/// Where the build puts the `hearth` binary for a profile.
pub fn binary(profile: &str) -> PathBuf {
    crate::target_dir().join(profile).join("hearth")
}

pub fn run(args: &[String]) -> anyhow::Result<()> {
    packages::ensure_with_gstreamer(packages::RUN)?;
    let mut build = cargo();
    // The media helper is a program of its own that Hearth starts from beside itself;
    // `hearth-image` serves the demo's pending VM image.
    build.args([
        "build",
        "-p",
        "hearth",
        "-p",
        "hearth-media",
        "-p",
        "hearth-images",
    ]);
    status(
        build,
        "cargo build -p hearth -p hearth-media -p hearth-images",
    )?;
    let hearth = binary("debug");
    // The demo (no configuration of the user's) downloads a VM image from a local store.
    let mut args = args.to_vec();
    let _images = if args.iter().any(|arg| arg.starts_with("--config")) {
        None
    } else {
        let images = crate::demo_images::start(&crate::demo_images::tools("debug"))?;
        args.push(format!("--images-bus={}", images.bus_address));
        Some(images)
    };
    let args = args.as_slice();
    // Without a session bus Hearth offers neither MPRIS nor org.hearth.Shell1: the demo gets
    // a bus of its own.
    let session = if crate::private_bus::session_bus_exists() {
        None
    } else {
        Some(crate::private_bus::start()?)
    };
    let bus: Vec<(&str, &str)> = session
        .iter()
        .map(|bus| ("DBUS_SESSION_BUS_ADDRESS", bus.address.as_str()))
        .collect();
    if let Some(session) = &session {
        print_bus_hints(&hearth, &session.address);
    }
    let has_display =
        std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some();
    if has_display {
        let mut command = Command::new(&hearth);
        command.args(args).envs(bus);
        return status(command, "hearth");
    }
    run_on_virtual_display(&hearth, args, &bus)
}

fn print_bus_hints(hearth: &std::path::Path, address: &str) {
    println!("No session bus here, so the demo has a private one: {address}");
    println!(
        "Drive Hearth over it: {} ctl --bus '{address}' status (or switch Work, open FILE, home)",
        hearth.display()
    );
    println!(
        "and its player over MPRIS: DBUS_SESSION_BUS_ADDRESS='{address}' playerctl --player=hearth play-pause"
    );
}

/// Kills and reaps a child when dropped.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_display() -> u32 {
    (99..200)
        .find(|n| !std::path::Path::new(&format!("/tmp/.X11-unix/X{n}")).exists())
        .unwrap_or(99)
}

fn run_on_virtual_display(
    hearth: &PathBuf,
    args: &[String],
    env: &[(&str, &str)],
) -> anyhow::Result<()> {
    let number = free_display();
    let display = format!(":{number}");
    let xvfb = Command::new("Xvfb")
        .args([
            display.as_str(),
            "-screen",
            "0",
            "1280x800x24",
            "-nolisten",
            "tcp",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("starting Xvfb")?;
    let _xvfb = Guard(xvfb);
    let socket = PathBuf::from(format!("/tmp/.X11-unix/X{number}"));
    for _ in 0..100 {
        if socket.exists() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    if !socket.exists() {
        bail!("Xvfb did not start on {display}");
    }
    let mut hearth = Guard(
        Command::new(hearth)
            .args(args)
            .envs(env.iter().copied())
            .env("DISPLAY", &display)
            .env_remove("WAYLAND_DISPLAY")
            .spawn()
            .context("starting hearth")?,
    );
    // There is no window manager on the virtual display to give Hearth the keyboard.
    let _ = Command::new("xdotool")
        .args(["search", "--sync", "--name", "Hearth", "windowfocus"])
        .env("DISPLAY", &display)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let shots = root().join("target/hearth-run");
    std::fs::create_dir_all(&shots).context("creating target/hearth-run")?;
    let screen = shots.join("screen.png");
    println!("No display here, so Hearth runs on the virtual display {display} (1280x800).");
    println!(
        "Its screen is saved to {} every two seconds while it changes.",
        screen.display()
    );
    println!("Drive it with xdotool, e.g.: DISPLAY={display} xdotool mousemove 330 300 click 1");
    println!("Or watch it live: x11vnc -display {display} (then any VNC viewer). Ctrl+C stops.");
    let mut last: Option<Vec<u8>> = None;
    loop {
        if let Some(exit) = hearth.0.try_wait().context("watching hearth")? {
            if exit.success() {
                return Ok(());
            }
            bail!("hearth exited with {exit}");
        }
        let capture = Command::new("import")
            .args(["-display", display.as_str(), "-window", "root", "png:-"])
            .stderr(Stdio::null())
            .output();
        if let Ok(output) = capture
            && output.status.success()
            && last.as_deref() != Some(output.stdout.as_slice())
        {
            std::fs::write(&screen, &output.stdout).context("saving the screenshot")?;
            last = Some(output.stdout);
        }
        std::thread::sleep(Duration::from_secs(2));
    }
}
