//! Hearth on a real machine: the appliance guest (Debian 12 in QEMU, systemd as PID 1, udev,
//! the system bus, virtio-gpu as its DRM device, a multi-touch screen and a keyboard as
//! evdev devices), with Hearth installed by docs/DEPLOY.md's own script. Everything is
//! checked against the guest's real screen (QMP screendumps), its real input devices (QMP
//! input events into libinput) and its real services (systemctl, journalctl and busctl in
//! the guest). One boot serves several checks: a boot costs about a minute under TCG.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use hearth_tests::appliance::{Appliance, Binaries, GUEST_CONFIG, Options, tail};
use hearth_tests::services::{TempDir, built_binary};

fn target() -> &'static Path {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target folder")
}

/// Boots the guest and installs Hearth with [`GUEST_CONFIG`] and `extra` configuration.
fn boot_with_hearth(dir: &TempDir, extra: &str) -> Appliance {
    let binaries = Binaries::in_target(target(), "debug");
    let guest = Appliance::boot(dir.path(), &binaries, &Options::default())
        .unwrap_or_else(|error| panic!("booting the appliance guest: {error}"));
    guest
        .wait_for_agent(Duration::from_secs(300))
        .unwrap_or_else(|error| panic!("{error}"));
    let installed = guest
        .install(&format!("{GUEST_CONFIG}{extra}"))
        .expect("running install.sh in the guest");
    assert!(
        installed.success(),
        "docs/DEPLOY.md's install.sh failed in the guest:\n{}{}",
        installed.stdout,
        installed.stderr
    );
    guest
}

/// Polls `check` every half second until it holds; panics with `what` and the last value.
fn wait_until<T: std::fmt::Debug>(
    what: &str,
    timeout: Duration,
    mut check: impl FnMut() -> (bool, T),
) -> T {
    let started = Instant::now();
    loop {
        let (done, value) = check();
        if done {
            return value;
        }
        assert!(
            started.elapsed() < timeout,
            "timed out after {timeout:?} waiting for {what}; last seen: {value:?}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// A property of org.hearth.Shell1 on the guest's system bus, read as root with busctl.
fn shell_property(guest: &Appliance, name: &str) -> String {
    let output = guest
        .run(&format!(
            "busctl --system get-property org.hearth.Shell1 /org/hearth/Shell1 \
             org.hearth.Shell1 {name}"
        ))
        .expect("busctl in the guest");
    // `s "vm"` → vm
    output
        .stdout
        .trim()
        .strip_prefix("s ")
        .map(|value| value.trim_matches('"').to_string())
        .unwrap_or_else(|| format!("(not read: {}{})", output.stdout, output.stderr))
}

fn wait_for_screen(guest: &Appliance, screen: &str, front: Option<&str>) {
    wait_until(
        &format!("Hearth's screen to be {screen:?} with {front:?} in front"),
        Duration::from_secs(60),
        || {
            let (now, in_front) = (
                shell_property(guest, "Screen"),
                shell_property(guest, "Front"),
            );
            let done = now == screen && front.is_none_or(|front| in_front == front);
            (done, (now, in_front))
        },
    );
}

/// The share of 32x32 cells in the rows `rows` whose mean colours differ by more than
/// `tolerance` in some channel.
fn differing_cells(
    a: &image::RgbImage,
    b: &image::RgbImage,
    rows: std::ops::Range<u32>,
    tolerance: f64,
) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions(), "screens of the same size");
    let cell = 32;
    let mean = |image: &image::RgbImage, x0: u32, y0: u32| {
        let mut sum = [0f64; 3];
        let mut count = 0f64;
        for y in y0..(y0 + cell).min(rows.end) {
            for x in x0..(x0 + cell).min(image.width()) {
                let pixel = image.get_pixel(x, y).0;
                for channel in 0..3 {
                    sum[channel] += f64::from(pixel[channel]);
                }
                count += 1.0;
            }
        }
        sum.map(|s| s / count.max(1.0))
    };
    let (mut cells, mut differing) = (0, 0);
    for y in rows.clone().step_by(cell as usize) {
        for x in (0..a.width()).step_by(cell as usize) {
            let (ma, mb) = (mean(a, x, y), mean(b, x, y));
            cells += 1;
            if (0..3).any(|c| (ma[c] - mb[c]).abs() > tolerance) {
                differing += 1;
            }
        }
    }
    f64::from(differing) / f64::from(cells.max(1))
}

/// Whether `line` holds a date such as 2026-12-07.
fn has_date(line: &str) -> bool {
    line.as_bytes().windows(10).any(|w| {
        w.iter().enumerate().all(|(i, &b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        })
    })
}

/// Home as `hearth --render-screens` draws it with the guest's configuration, at 1280x800.
fn rendered_home(dir: &Path) -> image::RgbImage {
    let config = dir.join("hearth.toml");
    std::fs::write(&config, GUEST_CONFIG).expect("writing the configuration");
    let screens = dir.join("screens");
    let output = Command::new(built_binary("hearth"))
        .arg("--config")
        .arg(&config)
        .arg("--render-screens")
        .arg(&screens)
        .env("XDG_CACHE_HOME", dir.join("cache"))
        .env("XDG_STATE_HOME", dir.join("state"))
        .env("XDG_DATA_HOME", dir.join("data"))
        .env_remove("DISPLAY")
        .output()
        .expect("hearth --render-screens");
    assert!(
        output.status.success(),
        "hearth --render-screens failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    image::open(screens.join("home-en-US-1280x800.png"))
        .expect("the rendered home screen")
        .to_rgb8()
}

#[test]
fn the_appliance_boots_to_home_under_systemd_and_follows_touch_and_keys() {
    let dir = TempDir::new("appliance-machine");
    let reference = {
        let dir = dir.path().to_path_buf();
        std::thread::spawn(move || rendered_home(&dir))
    };
    let guest = boot_with_hearth(&dir, "");

    // Boot to home: systemd calls the unit active only after Hearth's first frame is on the
    // display, as the journal's order shows.
    wait_until(
        "hearth.service to be active",
        Duration::from_secs(180),
        || {
            let state = guest
                .run("systemctl show -p ActiveState --value hearth.service")
                .map(|output| output.stdout.trim().to_string())
                .unwrap_or_default();
            (state == "active", state)
        },
    );
    let journal = guest
        .run_ok("journalctl -o cat --no-pager -u hearth.service")
        .expect("the unit's journal");
    let first_frame = journal
        .lines()
        .position(|line| line.contains("first frame on screen"));
    let started = journal
        .lines()
        .position(|line| line.starts_with("Started hearth.service"));
    assert!(
        matches!((first_frame, started), (Some(frame), Some(started)) if frame < started),
        "the first frame comes before systemd calls Hearth started:\n{journal}"
    );
    assert!(
        journal.contains("told the service manager Hearth is ready"),
        "{journal}"
    );
    // Hearth's own lines appear once each, with the journal's time only.
    assert_eq!(
        journal.matches("first frame on screen").count(),
        1,
        "{journal}"
    );
    assert!(
        journal
            .lines()
            .filter(|line| line.contains("hearth::"))
            .all(|line| !has_date(line)),
        "no timestamps of Hearth's own under the journal:\n{journal}"
    );

    // The screen is the complete home, as --render-screens draws it: the tiles and the title
    // (above the media rows, which differ: the guest has no sample library).
    let reference = reference.join().expect("rendering the reference home");
    let home = wait_until(
        "the guest's screen to show the complete home",
        Duration::from_secs(120),
        || {
            let screen = guest.screenshot().expect("a screendump");
            let differing = differing_cells(&screen, &reference, 0..490, 24.0);
            (differing < 0.06, (differing, screen))
        },
    );
    home.1
        .save(dir.path().join("home.png"))
        .expect("saving the screen");
    wait_for_screen(&guest, "home", None);

    // Touch through libinput: a tap on the Work tile opens it.
    guest.tap((335.0, 270.0)).expect("a tap");
    wait_for_screen(&guest, "vm", Some("Work"));
    // A swipe in from the right edge switches to the next VM.
    guest
        .swipe(
            &[(1278.0, 400.0)],
            &[(900.0, 400.0)],
            10,
            Duration::from_millis(300),
        )
        .expect("an edge swipe");
    wait_for_screen(&guest, "vm", Some("Personal"));
    // A three-finger swipe sideways switches back.
    guest
        .swipe(
            &[(400.0, 300.0), (400.0, 400.0), (400.0, 500.0)],
            &[(800.0, 300.0), (800.0, 400.0), (800.0, 500.0)],
            10,
            Duration::from_millis(300),
        )
        .expect("a three-finger swipe");
    wait_for_screen(&guest, "vm", Some("Work"));
    // A swipe up from the bottom edge comes home.
    guest
        .swipe(
            &[(640.0, 798.0)],
            &[(640.0, 500.0)],
            10,
            Duration::from_millis(300),
        )
        .expect("a swipe up");
    wait_for_screen(&guest, "home", None);

    // Keys through libinput: Ctrl+Alt+Right switches to a VM, and keys typed there reach it
    // (its echo line on its screen changes) and nowhere else.
    guest
        .press_keys(&["ctrl", "alt", "right"])
        .expect("Ctrl+Alt+Right");
    wait_for_screen(&guest, "vm", None);
    // The simulated desktop's echo lines sit in its lower half, away from its clock.
    let echo_rows = 360..760;
    let mut before = guest.screenshot().expect("a screendump");
    wait_until(
        "the VM's screen to be still",
        Duration::from_secs(60),
        || {
            std::thread::sleep(Duration::from_secs(1));
            let now = guest.screenshot().expect("a screendump");
            let changed = differing_cells(&before, &now, echo_rows.clone(), 1.0);
            before = now;
            (changed == 0.0, changed)
        },
    );
    guest.type_keys(&["h", "e", "l", "l", "o"]).expect("typing");
    wait_until(
        "the typed keys to show in the VM's echo",
        Duration::from_secs(30),
        || {
            let after = guest.screenshot().expect("a screendump");
            let changed = differing_cells(&before, &after, echo_rows.clone(), 1.0);
            (changed > 0.0, changed)
        },
    );

    // systemd: a crash brings Hearth back with the same VM in front. Rust's runtime takes
    // the first SIGSEGV that comes from outside (no faulting access) for its stack-overflow
    // check and carries on; a real segfault faults again at once and ends the process, so
    // the signal is sent until the process it hit is gone.
    let front = shell_property(&guest, "Front");
    guest
        .run_ok(
            "pid=$(systemctl show -p MainPID --value hearth.service); \
             for try in 1 2 3; do \
               systemctl kill -s SEGV hearth.service; sleep 3; \
               kill -0 $pid 2>/dev/null || exit 0; \
             done; exit 1",
        )
        .expect("systemctl kill -s SEGV ends Hearth");
    wait_until(
        "systemd to start Hearth again after the crash",
        Duration::from_secs(120),
        || {
            let restarts = guest
                .run("systemctl show -p NRestarts --value hearth.service")
                .map(|output| output.stdout.trim().to_string())
                .unwrap_or_default();
            (restarts == "1", restarts)
        },
    );
    wait_for_screen(&guest, "vm", Some(&front));

    // The system bus, with the policy files install.sh put there: the user hearth may call
    // Hearth's methods, another unprivileged user is refused by the bus itself, and anyone
    // may read the properties.
    let other = if front == "Work" { "Personal" } else { "Work" };
    let call = |user: &str, vm: &str| {
        guest
            .run(&format!(
                "runuser -u {user} -- busctl --system call org.hearth.Shell1 \
                 /org/hearth/Shell1 org.hearth.Shell1 Switch s {vm}"
            ))
            .expect("busctl in the guest")
    };
    let allowed = call("hearth", other);
    assert!(allowed.success(), "hearth may call Switch: {allowed:?}");
    wait_for_screen(&guest, "vm", Some(other));
    let refused = call("nobody", &front);
    assert!(
        !refused.success() && refused.stderr.contains("Access denied"),
        "the bus refuses Switch from another user: {refused:?}"
    );
    let read = guest
        .run(
            "runuser -u nobody -- busctl --system get-property org.hearth.Shell1 \
              /org/hearth/Shell1 org.hearth.Shell1 Front",
        )
        .expect("busctl in the guest");
    assert_eq!(read.stdout.trim(), format!("s \"{other}\""), "{read:?}");

    // A UI thread that hangs is stopped by systemd's own watchdog, and Hearth comes back.
    guest
        .run_ok(
            "mkdir -p /run/systemd/system/hearth.service.d && \
             printf '[Service]\\nExecStart=\\nExecStart=/usr/bin/hearth --config \
             /etc/hearth/hearth.toml --debug-hang-ui-after 2\\n' \
             > /run/systemd/system/hearth.service.d/hang.conf && \
             systemctl daemon-reload && systemctl restart hearth.service",
        )
        .expect("starting a Hearth that hangs");
    wait_until(
        "systemd's watchdog to stop the hung Hearth",
        Duration::from_secs(120),
        || {
            let journal = guest
                .run("journalctl -o cat --no-pager -u hearth.service")
                .map(|output| output.stdout)
                .unwrap_or_default();
            (journal.contains("Watchdog timeout"), tail(&journal, 5))
        },
    );
    guest
        .run_ok("rm -r /run/systemd/system/hearth.service.d && systemctl daemon-reload")
        .expect("removing the hang");
    wait_until(
        "Hearth to come back after the watchdog",
        Duration::from_secs(180),
        || {
            let journal = guest
                .run("journalctl -o cat --no-pager -u hearth.service")
                .map(|output| output.stdout)
                .unwrap_or_default();
            let last = journal.rsplit("Watchdog timeout").next().unwrap_or("");
            (
                last.contains("first frame on screen") && last.contains("Started hearth.service"),
                tail(&journal, 8),
            )
        },
    );
    assert!(!shell_property(&guest, "Screen").starts_with("(not read"));
}
