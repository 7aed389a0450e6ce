//! Hearth's own D-Bus service (`org.hearth.Shell1`) on the real binary, driven by `busctl`,
//! `gdbus` and `hearth ctl` as real clients, with PropertiesChanged seen by `dbus-monitor`;
//! kiosk mode refusing calls with a named error; and service life under a supervisor doing
//! what systemd does with `assets/systemd/hearth.service`: kill -9 brings Hearth back with
//! the same VM in front and the same file playing (but not a file that had not played a
//! while: it may be what ended that run), and a hung UI thread is killed by the watchdog.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use hearth_tests::ctl::{ctl, status, wait_for_status};
use hearth_tests::services::{PrivateBus, SignalMonitor, TempDir, wait_for};
use hearth_tests::supervisor::{Event, Supervisor};
use hearth_tests::xvfb::{Running, Xvfb, hearth_binary};

const WAIT: Duration = Duration::from_secs(60);
const TWO_VMS: &str = "[[vm]]\nname = \"Work\"\nrole = \"work\"\nrunning = true\n\n\
                       [[vm]]\nname = \"Personal\"\nrole = \"personal\"\nrunning = true\n\n\
                       [media]\nroots = []\n\n[playback]\naudio = \"none\"\n";

/// The environment Hearth runs in: its display, bus and folders under `dir`.
fn environment(
    bus: &PrivateBus,
    xvfb: &Xvfb,
    dir: &TempDir,
    config: &str,
) -> Vec<(String, String)> {
    let config_home = dir.path().join("config");
    std::fs::create_dir_all(config_home.join("hearth")).expect("a config folder");
    std::fs::write(config_home.join("hearth/hearth.toml"), config).expect("a config");
    let folder = |name: &str| dir.path().join(name).display().to_string();
    vec![
        ("DISPLAY".into(), xvfb.display.clone()),
        ("DBUS_SESSION_BUS_ADDRESS".into(), bus.address.clone()),
        ("XDG_CONFIG_HOME".into(), config_home.display().to_string()),
        ("XDG_STATE_HOME".into(), folder("state")),
        ("XDG_CACHE_HOME".into(), folder("cache")),
        ("XDG_DATA_HOME".into(), folder("data")),
        ("HEARTH_LOG".into(), "info".into()),
        ("NO_COLOR".into(), "1".into()),
    ]
}

fn start_hearth(bus: &PrivateBus, xvfb: &Xvfb, dir: &TempDir, config: &str) -> Running {
    let env = environment(bus, xvfb, dir, config);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut hearth = Running::start_binary(&hearth_binary(), xvfb, &["--language", "en-US"], &env);
    hearth.wait_for_log("Hearth's D-Bus service offered", WAIT);
    hearth
}

fn busctl(bus: &PrivateBus, args: &[&str]) -> (bool, String, String) {
    let output = Command::new("busctl")
        .arg(format!("--address={}", bus.address))
        .args(args)
        .output()
        .expect("running busctl");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).trim().to_string(),
        String::from_utf8_lossy(&output.stderr).trim().to_string(),
    )
}

const OBJECT: [&str; 3] = [
    "org.hearth.Shell1",
    "/org/hearth/Shell1",
    "org.hearth.Shell1",
];

/// `gdbus call` of a method of Hearth's service: whether it succeeded, and its errors.
fn gdbus(bus: &PrivateBus, method: &str, args: &[&str]) -> (bool, String) {
    let output = Command::new("gdbus")
        .args(["call", "--address", &bus.address, "--dest", OBJECT[0]])
        .args(["--object-path", OBJECT[1], "--method"])
        .arg(format!("{}.{method}", OBJECT[2]))
        .args(args)
        .output()
        .expect("running gdbus");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn busctl_gdbus_and_hearth_ctl_drive_the_real_hearth_and_see_its_signals() {
    let bus = PrivateBus::start();
    let xvfb = Xvfb::start();
    let dir = TempDir::new("shell-service");
    let mut hearth = start_hearth(&bus, &xvfb, &dir, TWO_VMS);

    let mut monitor = SignalMonitor::start(&bus, "/org/hearth/Shell1");

    // Reading properties with busctl.
    wait_for("both VMs listed", WAIT, || {
        let (ok, out, _) = busctl(
            &bus,
            &["get-property", OBJECT[0], OBJECT[1], OBJECT[2], "Vms"],
        );
        ok && out.contains("\"Work\" \"running\" \"work\"") && out.contains("\"Personal\"")
    });
    let (ok, out, errors) = busctl(
        &bus,
        &["get-property", OBJECT[0], OBJECT[1], OBJECT[2], "Screen"],
    );
    assert!(ok, "busctl get-property: {errors}");
    assert_eq!(out, "s \"home\"");

    // A method call with busctl, and its effect.
    let (ok, _, errors) = busctl(
        &bus,
        &[
            "call", OBJECT[0], OBJECT[1], OBJECT[2], "Switch", "s", "work",
        ],
    );
    assert!(ok, "busctl call Switch: {errors}");
    wait_for_status(&bus, "Work in front", |s| {
        s["front"] == "Work" && s["screen"] == "vm"
    });

    // hearth ctl: switch, status, home, and a refusal in words.
    let (code, _, errors) = ctl(&bus, &["switch", "Personal"]);
    assert_eq!(code, 0, "hearth ctl switch: {errors}");
    wait_for_status(&bus, "Personal in front", |s| s["front"] == "Personal");
    let (code, text, _) = ctl(&bus, &["status"]);
    assert_eq!(code, 0);
    assert!(
        text.contains("in front: Personal"),
        "hearth ctl status said:\n{text}"
    );
    assert!(
        text.contains("kiosk:    off"),
        "hearth ctl status said:\n{text}"
    );
    let (code, _, errors) = ctl(&bus, &["switch", "Nobody"]);
    assert_eq!(code, 1, "an unknown VM is refused");
    assert!(
        errors.contains("no VM is called \"Nobody\" (there are: Work, Personal) (UnknownVm)"),
        "hearth ctl said: {errors}"
    );
    let (code, _, errors) = ctl(&bus, &["stop", "Nobody"]);
    assert_eq!(code, 1, "{errors}");
    let (code, _, errors) = ctl(&bus, &["home"]);
    assert_eq!(code, 0, "hearth ctl home: {errors}");
    wait_for_status(&bus, "home", |s| s["screen"] == "home" && s["front"] == "");

    // Lifecycle through gdbus: stop Personal, see it stop, start it again.
    let (ok, errors) = gdbus(&bus, "StopVm", &["Personal"]);
    assert!(ok, "gdbus StopVm: {errors}");
    wait_for_status(&bus, "Personal shut off", |s| {
        s["vms"].as_array().is_some_and(|vms| {
            vms.iter()
                .any(|vm| vm["name"] == "Personal" && vm["state"] == "shut-off")
        })
    });
    let (code, _, errors) = ctl(&bus, &["stop", "Personal"]);
    assert_eq!(code, 1, "stopping a stopped VM is refused");
    assert!(
        errors.contains("Personal is shut-off"),
        "hearth ctl said: {errors}"
    );
    let (code, _, errors) = ctl(&bus, &["start", "Personal"]);
    assert_eq!(code, 0, "hearth ctl start: {errors}");
    wait_for_status(&bus, "Personal running again", |s| {
        s["vms"].as_array().is_some_and(|vms| {
            vms.iter()
                .any(|vm| vm["name"] == "Personal" && vm["state"] == "running")
        })
    });

    // dbus-monitor saw PropertiesChanged for the front VM and the screen.
    wait_for("PropertiesChanged for Front and Screen", WAIT, || {
        let lines = monitor.seen();
        lines.contains("member=PropertiesChanged")
            && lines.contains("string \"Front\"")
            && lines.contains("string \"Screen\"")
            && lines.contains("string \"Vms\"")
    });
    let log = hearth.log();
    assert!(
        log.contains("asked over D-Bus"),
        "Hearth logs what it was asked:\n{log}"
    );
    monitor.stop();
}

#[test]
fn kiosk_mode_refuses_calls_that_leave_it_with_a_named_error() {
    let bus = PrivateBus::start();
    let xvfb = Xvfb::start();
    let dir = TempDir::new("shell-service-kiosk");
    let config = format!("{TWO_VMS}\n[kiosk]\nallow = [\"Work\"]\n");
    let _hearth = start_hearth(&bus, &xvfb, &dir, &config);
    wait_for_status(&bus, "the kiosk's VM in front", |s| {
        s["front"] == "Work" && s["kiosk"] == true && s["kiosk_targets"][0] == "vm:Work"
    });
    for method in [["Switch", "Personal"], ["GoHome", ""], ["StopVm", "Work"]] {
        let args: Vec<&str> = method[1..]
            .iter()
            .copied()
            .filter(|a| !a.is_empty())
            .collect();
        let (ok, errors) = gdbus(&bus, method[0], &args);
        assert!(!ok, "{} went through", method[0]);
        assert!(
            errors.contains("org.hearth.Shell1.Error.Forbidden")
                && errors.contains("kiosk mode forbids this; it allows vm:Work"),
            "{} was refused with: {errors}",
            method[0]
        );
    }
    let (code, _, errors) = ctl(&bus, &["switch", "Personal"]);
    assert_eq!(code, 1);
    assert!(errors.contains("(Forbidden)"), "hearth ctl said: {errors}");
    let (code, text, _) = ctl(&bus, &["status"]);
    assert_eq!(code, 0);
    assert!(text.contains("kiosk:    on, allows vm:Work"), "{text}");
    // The hidden VM is not even listed.
    assert!(!text.contains("Personal"), "{text}");
    wait_for_status(&bus, "still Work", |s| {
        s["front"] == "Work" && s["screen"] == "vm"
    });
}

fn supervised(
    bus: &PrivateBus,
    xvfb: &Xvfb,
    dir: &TempDir,
    extra: &[&str],
    watchdog: Duration,
) -> Supervisor {
    let env = environment(bus, xvfb, dir, TWO_VMS);
    let args: Vec<String> = ["--language", "en-US"]
        .iter()
        .chain(extra)
        .map(|arg| arg.to_string())
        .collect();
    Supervisor::start(
        move || {
            let mut command = Command::new(hearth_binary());
            command.args(&args).envs(env.iter().map(|(k, v)| (k, v)));
            command
        },
        watchdog,
        dir.path(),
    )
}

#[test]
fn kill_9_brings_hearth_back_with_the_same_vm_in_front() {
    let bus = PrivateBus::start();
    let xvfb = Xvfb::start();
    let dir = TempDir::new("shell-service-restart");
    let supervisor = supervised(&bus, &xvfb, &dir, &[], Duration::from_secs(20));
    let Event::Ready(first) =
        supervisor.wait_for("READY=1", WAIT, |e| matches!(e, Event::Ready(_)))
    else {
        unreachable!()
    };
    supervisor.wait_for("a watchdog ping", WAIT, |e| *e == Event::Ping(first));
    wait_for("the service", WAIT, || {
        ctl(&bus, &["switch", "Personal"]).0 == 0
    });
    wait_for_status(&bus, "Personal in front", |s| {
        s["front"] == "Personal" && s["screen"] == "vm"
    });
    let session = dir.path().join("state/hearth/session.json");
    wait_for("the session on disk", WAIT, || {
        std::fs::read_to_string(&session).is_ok_and(|text| text.contains("\"Personal\""))
    });

    let killed = Command::new("kill")
        .args(["-9", &first.to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    supervisor.wait_for("the killed Hearth's exit", WAIT, |e| {
        *e == Event::Exited {
            pid: first,
            signal: Some(9),
        }
    });
    let Event::Ready(second) = supervisor.wait_for(
        "READY=1 again",
        WAIT,
        |e| matches!(e, Event::Ready(pid) if *pid != first),
    ) else {
        unreachable!()
    };
    assert_ne!(first, second);
    wait_for_status(&bus, "Personal in front after the restart", |s| {
        s["front"] == "Personal" && s["screen"] == "vm"
    });
    assert!(
        supervisor
            .log()
            .contains("back in front as in the last session"),
        "{}",
        supervisor.log()
    );
}

#[test]
fn a_hung_ui_thread_is_killed_by_the_watchdog_and_hearth_restarts() {
    let bus = PrivateBus::start();
    let xvfb = Xvfb::start();
    let dir = TempDir::new("shell-service-watchdog");
    let supervisor = supervised(
        &bus,
        &xvfb,
        &dir,
        &["--debug-hang-ui-after", "3"],
        Duration::from_secs(4),
    );
    let Event::Ready(first) =
        supervisor.wait_for("READY=1", WAIT, |e| matches!(e, Event::Ready(_)))
    else {
        unreachable!()
    };
    supervisor.wait_for("pings from the UI thread", WAIT, |e| {
        *e == Event::Ping(first)
    });
    supervisor.wait_for("the watchdog to kill the hung Hearth", WAIT, |e| {
        *e == Event::WatchdogKilled(first)
    });
    let pings_after_hang = {
        let events = supervisor.events();
        let hang = supervisor.log().lines().any(|line| {
            line.contains(&format!("[{first}]")) && line.contains("hanging the UI thread")
        });
        assert!(hang, "the UI thread hung on purpose:\n{}", supervisor.log());
        events.iter().filter(|e| **e == Event::Ping(first)).count()
    };
    assert!(pings_after_hang >= 1);
    supervisor.wait_for(
        "a new Hearth, ready",
        WAIT,
        |e| matches!(e, Event::Ready(pid) if *pid != first),
    );
}

#[test]
fn the_unit_file_passes_systemd_analyze_verify() {
    let dir = TempDir::new("unit");
    let unit = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/systemd/hearth.service"),
    )
    .expect("the unit file");
    for key in [
        "Type=notify",
        "WatchdogSec=",
        "Restart=always",
        "NotifyAccess=main",
    ] {
        assert!(unit.contains(key), "the unit sets {key}");
    }
    // Verified with ExecStart pointing at the binary built here.
    let here = unit.replace("/usr/bin/hearth", &hearth_binary().display().to_string());
    let path = dir.path().join("hearth.service");
    std::fs::write(&path, here).expect("the unit copy");
    let output = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
        .expect("running systemd-analyze");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let complaints: Vec<&str> = said
        .lines()
        .filter(|line| line.contains("hearth.service"))
        .collect();
    assert!(
        output.status.success() && complaints.is_empty(),
        "systemd-analyze verify:\n{said}"
    );
}

/// `playerctl --player=hearth args…` on `bus`: its answer, when it succeeded.
fn playerctl(bus: &PrivateBus, args: &[&str]) -> Option<String> {
    let (ok, answer, _) = hearth_tests::playback::playerctl(bus, args);
    ok.then_some(answer)
}

fn position(bus: &PrivateBus) -> Option<f64> {
    playerctl(bus, &["position"])?.parse().ok()
}

#[test]
fn kill_9_in_the_player_plays_the_same_file_again_from_where_it_was() {
    let media = hearth_tests::playback::media_under(Path::new(env!("CARGO_TARGET_TMPDIR")));
    let video = media.join("Colour/Blue.mp4");
    let bus = PrivateBus::start();
    let xvfb = Xvfb::start();
    let dir = TempDir::new("shell-service-player");
    let supervisor = supervised(&bus, &xvfb, &dir, &[], Duration::from_secs(20));
    let Event::Ready(first) =
        supervisor.wait_for("READY=1", WAIT, |e| matches!(e, Event::Ready(_)))
    else {
        unreachable!()
    };
    let path = video.to_str().expect("UTF-8");
    wait_for("the service", WAIT, || ctl(&bus, &["open", path]).0 == 0);
    wait_for_status(&bus, "the video playing", |s| {
        s["screen"] == "player" && s["playback"]["state"] == "playing"
    });
    wait_for("3 s of the video", WAIT, || {
        position(&bus).is_some_and(|p| p >= 3.0)
    });
    assert!(playerctl(&bus, &["pause"]).is_some());
    wait_for_status(&bus, "the video paused", |s| {
        s["playback"]["state"] == "paused"
    });
    let paused = position(&bus).expect("the paused position");
    // The resume point is written on pause, by a thread of its own.
    std::thread::sleep(Duration::from_secs(2));
    let session = dir.path().join("state/hearth/session.json");
    let kept = std::fs::read_to_string(&session).expect("the session on disk");
    assert!(
        kept.contains("Blue.mp4") && kept.contains("\"player\""),
        "{kept}"
    );

    let killed = Command::new("kill")
        .args(["-9", &first.to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    supervisor.wait_for(
        "READY=1 again",
        WAIT,
        |e| matches!(e, Event::Ready(pid) if *pid != first),
    );
    wait_for_status(&bus, "the same video playing again", |s| {
        s["screen"] == "player"
            && s["playback"]["state"] == "playing"
            && s["playback"]["file"] == path
    });
    let start = Instant::now();
    loop {
        let again = position(&bus);
        if again.is_some_and(|again| again >= paused - 0.5) {
            break;
        }
        let restored: Vec<String> = supervisor
            .log()
            .lines()
            .filter(|line| line.contains("last session") || line.contains("resume"))
            .map(str::to_string)
            .collect();
        assert!(
            start.elapsed() < WAIT,
            "paused at {paused:.1} s, playing again from {again:?} s; {restored:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // It started from the resume point, not from the start and played on to it.
    let log = supervisor.log();
    let resume: f64 = log
        .lines()
        .find(|line| line.contains("playing the last session's file again"))
        .and_then(|line| line.split("resume=Some(").nth(1))
        .and_then(|rest| rest.split("s)").next())
        .and_then(|seconds| seconds.parse().ok())
        .unwrap_or_else(|| panic!("no resume point in the log:\n{log}"));
    assert!(
        (resume - paused).abs() < 0.6,
        "paused at {paused:.1} s, resumed at {resume:.1} s"
    );
}

#[test]
fn a_file_that_had_not_played_a_while_when_hearth_died_is_not_opened_again() {
    let media = hearth_tests::playback::media_under(Path::new(env!("CARGO_TARGET_TMPDIR")));
    let video = media.join("Colour/Blue.mp4");
    let bus = PrivateBus::start();
    let xvfb = Xvfb::start();
    let dir = TempDir::new("shell-service-crash-loop");
    let supervisor = supervised(&bus, &xvfb, &dir, &[], Duration::from_secs(20));
    let Event::Ready(first) =
        supervisor.wait_for("READY=1", WAIT, |e| matches!(e, Event::Ready(_)))
    else {
        unreachable!()
    };
    let path = video.to_str().expect("UTF-8");
    wait_for("the service", WAIT, || ctl(&bus, &["open", path]).0 == 0);
    wait_for_status(&bus, "the video playing", |s| {
        s["screen"] == "player" && s["playback"]["state"] == "playing"
    });
    // Paused at once, as if opening it had been the last thing this run did.
    assert!(playerctl(&bus, &["pause"]).is_some());
    let session = dir.path().join("state/hearth/session.json");
    wait_for("the session with the unproven file", WAIT, || {
        std::fs::read(&session)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
            .is_some_and(|kept| {
                kept["screen"] == "player"
                    && kept["playing"] == path
                    && kept["playing_proven"] == false
            })
    });

    let killed = Command::new("kill")
        .args(["-9", &first.to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    supervisor.wait_for(
        "READY=1 again",
        WAIT,
        |e| matches!(e, Event::Ready(pid) if *pid != first),
    );
    wait_for("the restarted service", WAIT, || status(&bus).is_some());
    // Home, and the file stays closed.
    let since = Instant::now();
    while since.elapsed() < Duration::from_secs(4) {
        let now = status(&bus).expect("the restarted Hearth answers");
        assert!(
            now["screen"] != "player" && now["playback"]["state"] == "stopped",
            "the file was opened again: {now}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let log = supervisor.log();
    assert!(
        log.contains("not playing the last session's file again"),
        "the log says why: {log}"
    );
}
