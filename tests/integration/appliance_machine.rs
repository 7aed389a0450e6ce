//! Hearth on a real machine: the appliance guest (Debian 12 in QEMU, systemd as PID 1, udev,
//! the system bus, virtio-gpu as its DRM device, a multi-touch screen and a keyboard as
//! evdev devices), with Hearth installed by docs/DEPLOY.md's own script. Everything is
//! checked against the guest's real screen (QMP screendumps), its real input devices (QMP
//! input events into libinput) and its real services (systemctl, journalctl and busctl in
//! the guest). One boot serves several checks: a boot costs about a minute under TCG.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use hearth_tests::appliance::{Appliance, Binaries, GUEST_CONFIG, Options, tail, wait_until};
use hearth_tests::images::{Nginx, Publisher};
use hearth_tests::services::{TempDir, built_binary};

fn target() -> &'static Path {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target folder")
}

/// One appliance guest at a time: each keeps both cores of these machines busy under TCG,
/// and a guest starved of CPU turns a tap into a long press.
static ONE_GUEST: std::sync::Mutex<()> = std::sync::Mutex::new(());

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

fn wait_for_active(guest: &Appliance) {
    wait_until(
        "hearth.service to be active",
        Duration::from_secs(180),
        || {
            let state = guest
                .run(
                    "systemctl show -p ActiveState --value hearth.service; \
                     systemctl list-jobs --no-pager; systemctl status --no-pager hearth; \
                     journalctl -b --no-pager -u hearth -u getty@tty1 | tail -15",
                )
                .map(|output| output.stdout)
                .unwrap_or_default();
            (state.starts_with("active\n"), state)
        },
    );
}

/// A screendump once two in a row, a second apart, show the same picture.
fn still_screen(guest: &Appliance) -> image::RgbImage {
    let mut last = guest.screenshot().expect("a screendump");
    wait_until("the screen to be still", Duration::from_secs(60), || {
        std::thread::sleep(Duration::from_secs(1));
        let now = guest.screenshot().expect("a screendump");
        let changed = differing_cells(&last, &now, 0..now.height(), 1.0);
        last = now;
        (changed == 0.0, changed)
    });
    last
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

/// Waits until Hearth lists both simulated VMs running: the hypervisor is attached and
/// the tiles show their live screens.
fn wait_for_running_vms(guest: &Appliance) {
    wait_until("both VMs to be running", Duration::from_secs(120), || {
        let vms = guest
            .run(
                "busctl --system get-property org.hearth.Shell1 /org/hearth/Shell1 \
                 org.hearth.Shell1 Vms",
            )
            .map(|output| output.stdout)
            .unwrap_or_default();
        (vms.matches("\"running\"").count() == 2, vms)
    });
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
    let _one = ONE_GUEST
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let dir = TempDir::new("appliance-machine");
    let reference = {
        let dir = dir.path().to_path_buf();
        std::thread::spawn(move || rendered_home(&dir))
    };
    let guest = boot_with_hearth(&dir, "");

    // Boot to home: systemd calls the unit active only after Hearth's first frame is on the
    // display, as the journal's order shows.
    wait_for_active(&guest);
    let journal = guest.hearth_journal();
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

    // The unit is as hardened as docs/DEPLOY.md says (an exposure of 1.8 of 10).
    let security = guest
        .run("systemd-analyze security --no-pager hearth.service hearth-images.service")
        .expect("systemd-analyze security");
    let exposure = |unit: &str| {
        security
            .stdout
            .lines()
            .find_map(|line| line.split(&format!("exposure level for {unit}: ")).nth(1))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|score| score.parse::<f64>().ok())
            .unwrap_or_else(|| panic!("no exposure for {unit}:\n{security:?}"))
    };
    assert!(exposure("hearth.service") <= 1.8, "{}", security.stdout);
    assert!(
        exposure("hearth-images.service") <= 1.6,
        "{}",
        security.stdout
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

    // A gamepad plugged in now: Hearth opens it, and its Start button comes home from the VM.
    let pad = guest.plug_gamepad().expect("a gamepad in the guest");
    wait_until(
        "Hearth to open the gamepad",
        Duration::from_secs(30),
        || {
            let opened = guest.hearth_journal().contains("gamepad connected");
            (opened, ())
        },
    );
    pad.press("BTN_START").expect("the Start button");
    wait_for_screen(&guest, "home", None);
    guest
        .press_keys(&["ctrl", "alt", "right"])
        .expect("Ctrl+Alt+Right");
    wait_for_screen(&guest, "vm", None);

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
            let journal = guest.hearth_journal();
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
            let journal = guest.hearth_journal();
            let last = journal.rsplit("Watchdog timeout").next().unwrap_or("");
            (
                last.contains("first frame on screen") && last.contains("Started hearth.service"),
                tail(&journal, 8),
            )
        },
    );
    assert!(!shell_property(&guest, "Screen").starts_with("(not read"));
}

/// Where a point of the upright window is on the panel when the picture is turned
/// `rotation` degrees clockwise on a `width` x `height` panel.
fn on_panel(rotation: u32, (x, y): (f32, f32), width: u32, height: u32) -> (f32, f32) {
    match rotation {
        90 => (width as f32 - 1.0 - y, x),
        180 => (width as f32 - 1.0 - x, height as f32 - 1.0 - y),
        270 => (y, height as f32 - 1.0 - x),
        _ => (x, y),
    }
}

/// The panel's picture turned back upright, for a picture turned `rotation` degrees.
fn upright(rotation: u32, panel: &image::RgbImage) -> image::RgbImage {
    match rotation {
        90 => image::imageops::rotate270(panel),
        180 => image::imageops::rotate180(panel),
        270 => image::imageops::rotate90(panel),
        _ => panel.clone(),
    }
}

/// The middle of the Work tile's picture (the simulated Work desktop is the only large blue
/// thing on home), found on the screen whatever the layout.
fn work_tile(screen: &image::RgbImage) -> (f32, f32) {
    let (mut sum_x, mut sum_y, mut count) = (0f64, 0f64, 0f64);
    for (x, y, pixel) in screen.enumerate_pixels() {
        let [r, g, b] = pixel.0.map(i32::from);
        if b > r + 60 && b > g + 30 && b > 90 {
            sum_x += f64::from(x);
            sum_y += f64::from(y);
            count += 1.0;
        }
    }
    assert!(
        count > 5000.0,
        "the Work tile is on the screen ({count} blue pixels)"
    );
    ((sum_x / count) as f32, (sum_y / count) as f32)
}

#[test]
fn the_appliance_turns_picture_and_touch_together_and_its_kiosk_corner_opens_the_pin_pad() {
    let _one = ONE_GUEST
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let dir = TempDir::new("appliance-turned");
    let guest = boot_with_hearth(
        &dir,
        "\n[kiosk]\nallow = [\"Work\", \"Personal\", \"home\"]\nstart = \"home\"\n\
         admin_corner = \"top-left\"\n",
    );
    wait_for_active(&guest);
    wait_for_running_vms(&guest);
    wait_for_screen(&guest, "home", None);
    let home = still_screen(&guest);

    // Kiosk mode: five taps in the admin corner open the PIN pad. A guest under TCG on a
    // loaded machine can stall between a finger's down and up, which makes a hold rather
    // than a tap, so the five taps are made again, as a person would, if nothing opened.
    let opened = |guest: &Appliance| {
        guest
            .hearth_journal()
            .contains("admin gesture: the PIN pad opens")
    };
    for _ in 0..3 {
        for _ in 0..5 {
            guest.tap((10.0, 10.0)).expect("a tap in the corner");
            std::thread::sleep(Duration::from_millis(150));
        }
        let tried = Instant::now();
        while !opened(&guest) && tried.elapsed() < Duration::from_secs(20) {
            std::thread::sleep(Duration::from_millis(500));
        }
        if opened(&guest) {
            break;
        }
    }
    wait_until("the PIN pad to open", Duration::from_secs(10), || {
        let journal = guest.hearth_journal();
        (
            journal.contains("admin gesture: the PIN pad opens"),
            tail(&journal, 4),
        )
    });
    wait_until("the PIN pad on the screen", Duration::from_secs(30), || {
        let screen = guest.screenshot().expect("a screendump");
        let changed = differing_cells(&home, &screen, 0..screen.height(), 8.0);
        (changed > 0.1, changed)
    });

    // Rotation with docs/DEPLOY.md's calibration matrices: the picture turns, and a tap where
    // the Work tile shows on the panel opens Work.
    for (rotation, matrix) in [
        (90, "[0.0, 1.0, 0.0, -1.0, 0.0, 1.0]"),
        (270, "[0.0, -1.0, 1.0, 1.0, 0.0, 0.0]"),
    ] {
        let config = format!(
            "{GUEST_CONFIG}\n[appliance]\nrotation = {rotation}\ntouch_calibration = {matrix}\n"
        );
        guest
            .run_with_input(
                "cat > /etc/hearth/hearth.toml && \
                 rm -f /var/lib/hearth/.local/state/hearth/session.json && \
                 systemctl restart hearth.service",
                config.as_bytes(),
                Duration::from_secs(180),
            )
            .expect("restarting Hearth turned");
        wait_for_active(&guest);
        wait_for_running_vms(&guest);
        wait_for_screen(&guest, "home", None);
        let panel = still_screen(&guest);
        panel
            .save(dir.path().join(format!("home-{rotation}.png")))
            .expect("saving the screen");
        let turned_back = upright(rotation, &panel);
        assert_eq!(turned_back.dimensions(), (800, 1280), "a portrait window");
        // The header (the title and the count of running computers) is where it is upright.
        let header = image::imageops::crop_imm(&turned_back, 0, 0, 480, 80).to_image();
        let header_upright = image::imageops::crop_imm(&home, 0, 0, 480, 80).to_image();
        let differing = differing_cells(&header, &header_upright, 0..80, 24.0);
        assert!(
            differing < 0.1,
            "the picture is turned {rotation} degrees ({differing} of the header differs)"
        );
        let tile = work_tile(&turned_back);
        let tap = on_panel(rotation, tile, guest.width, guest.height);
        eprintln!("turned {rotation}: the Work tile at {tile:?} upright, tapped at {tap:?}");
        guest.tap(tap).expect("a tap on the turned Work tile");
        wait_for_screen(&guest, "vm", Some("Work"));
        guest
            .press_keys(&["ctrl", "alt", "up"])
            .expect("Ctrl+Alt+Up");
        wait_for_screen(&guest, "home", None);
    }
}

/// A property of the image `work` in the guest's image service, as `busctl --json` prints
/// its value, read by `user`.
fn image_property(guest: &Appliance, user: &str, name: &str) -> serde_json::Value {
    let output = guest
        .run(&format!(
            "runuser -u {user} -- busctl --system --json=short get-property \
             org.hearth.Images1 /org/hearth/Images1/work org.hearth.Images1.Image {name}"
        ))
        .expect("busctl in the guest");
    serde_json::from_str::<serde_json::Value>(&output.stdout)
        .map(|value| value["data"].clone())
        .unwrap_or_else(|_| serde_json::Value::String(format!("(not read: {output:?})")))
}

#[test]
fn the_image_service_runs_on_the_system_bus_and_its_download_outlives_a_restart_of_hearth_and_a_power_cut()
 {
    let _one = ONE_GUEST
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    // A 16 MiB version from nginx on this machine, which the guest reaches through QEMU's
    // user-mode network as 10.0.2.2, fetched at 256 KiB/s: about a minute.
    let publisher = Publisher::new();
    let image = publisher.path("v1.img");
    let mut rng = fastrand::Rng::with_seed(27);
    let noise: Vec<u8> = std::iter::repeat_with(|| rng.u8(..))
        .take(16 << 20)
        .collect();
    std::fs::write(&image, noise).expect("writing the image");
    publisher.publish("work", &image, &[]);
    let origin = Nginx::origin(&publisher.store);

    let dir = TempDir::new("appliance-images");
    let guest = boot_with_hearth(&dir, "");
    wait_for_active(&guest);
    // The configuration goes to the disk at once, as an editor saves it: the power cut below
    // must not take it along.
    let public_key = std::fs::read(&publisher.public_key).expect("the public key");
    guest
        .run_with_input(
            "cat > /etc/hearth/image.pub && sync",
            &public_key,
            Duration::from_secs(30),
        )
        .expect("the public key in the guest");
    let images = format!(
        "state_dir = \"/var/lib/hearth-images\"\nmax_rate_kib = 256\n\n[[image]]\n\
         name = \"work\"\nvm = \"Work\"\npublic_keys = [\"/etc/hearth/image.pub\"]\n\
         mirrors = [\"http://10.0.2.2:{}/\"]\n",
        origin.port
    );
    let started = guest
        .run_with_input(
            "cat > /etc/hearth/images.toml && sync && systemctl start hearth-images.service",
            images.as_bytes(),
            Duration::from_secs(120),
        )
        .expect("starting the image service");
    assert!(started.success(), "{started:?}");

    // The service runs as its own user, owns its name on the system bus and fetches; Hearth
    // (the user hearth, allowed by the policy) follows the download.
    let owner = guest
        .run_ok("ps -o user= -p $(systemctl show -p MainPID --value hearth-images.service)")
        .expect("the service's user");
    assert_eq!(owner.trim(), "hearth-images");
    wait_until("the service to fetch", Duration::from_secs(120), || {
        let phase = image_property(&guest, "nobody", "Phase");
        (phase == "fetching", phase)
    });
    let downloads = |guest: &Appliance| {
        guest
            .run(
                "busctl --system --json=short get-property org.hearth.Shell1 /org/hearth/Shell1 \
                 org.hearth.Shell1 Downloads",
            )
            .map(|output| output.stdout)
            .unwrap_or_default()
    };
    wait_until(
        "Hearth to show the download",
        Duration::from_secs(60),
        || {
            let shown = downloads(&guest);
            (
                shown.contains("\"work\"") && shown.contains("fetching"),
                shown,
            )
        },
    );

    // Hearth restarted mid-download: the service neither stops nor starts the download
    // again, and the new Hearth follows it.
    let service_pid = guest
        .run_ok("systemctl show -p MainPID --value hearth-images.service")
        .expect("the service's pid");
    let before = image_property(&guest, "hearth", "BytesDone")
        .as_u64()
        .expect("BytesDone is a number");
    guest
        .run_ok("systemctl restart hearth.service")
        .expect("restarting Hearth");
    wait_until(
        "the download to go on past the restart",
        Duration::from_secs(60),
        || {
            let done = image_property(&guest, "hearth", "BytesDone");
            (done.as_u64().is_some_and(|done| done > before), done)
        },
    );
    wait_until(
        "the new Hearth to show the download",
        Duration::from_secs(60),
        || {
            let shown = downloads(&guest);
            (shown.contains("\"work\""), shown)
        },
    );
    assert_eq!(
        guest
            .run_ok("systemctl show -p MainPID --value hearth-images.service")
            .expect("the service's pid"),
        service_pid,
        "the image service was not restarted"
    );
    let service_log = guest
        .run_ok("journalctl -o cat --no-pager -u hearth-images.service")
        .expect("the service's journal");
    assert_eq!(
        service_log.matches("bytes to fetch").count(),
        1,
        "the download started once:\n{service_log}"
    );

    // The user opens Work (once the restarted Hearth lists it), and the power is cut in the
    // middle of the download.
    wait_for_running_vms(&guest);
    guest.tap((335.0, 270.0)).expect("a tap on Work");
    wait_for_screen(&guest, "vm", Some("Work"));
    let phase = image_property(&guest, "hearth", "Phase");
    assert_eq!(phase, "fetching", "the download is under way at the cut");
    std::thread::sleep(Duration::from_secs(2));
    eprintln!("cutting the power");
    guest.power_cut().expect("a power cut");
    guest
        .wait_for_agent(Duration::from_secs(300))
        .unwrap_or_else(|error| panic!("{error}"));
    wait_for_active(&guest);
    // Hearth is back on the screen the user had, and the download resumes and completes.
    wait_for_screen(&guest, "vm", Some("Work"));
    wait_until("the version to be ready", Duration::from_secs(240), || {
        let phase = image_property(&guest, "hearth", "Phase");
        (phase == "ready", phase)
    });
    // The download state, the session file and the media index came through whole.
    let status = guest
        .run_ok("hearth-image status --state /var/lib/hearth-images --image work")
        .expect("hearth-image status reads the download state");
    let status: serde_json::Value = serde_json::from_str(&status).expect("the status is JSON");
    assert!(status.to_string().contains("\"ready\""), "{status}");
    let session = guest
        .run_ok("cat /var/lib/hearth/.local/state/hearth/session.json")
        .expect("the session file");
    let session: serde_json::Value =
        serde_json::from_str(&session).expect("the session file is whole JSON");
    assert_eq!(session["front"], "Work", "{session}");
    let media = guest
        .run("runuser -u hearth -- hearth --config /etc/hearth/hearth.toml --check-media")
        .expect("hearth --check-media");
    assert!(media.success(), "the media index opens: {media:?}");
    // At most the range in flight at the cut was fetched again.
    let pieces: Vec<u64> = origin
        .settled_log()
        .into_iter()
        .filter(|request| !request.is_metadata())
        .map(|request| request.bytes)
        .collect();
    let served: u64 = pieces.iter().sum();
    let largest = pieces.iter().copied().max().unwrap_or(0);
    let packed: u64 =
        walk_files(&publisher.store.join("packs")) + walk_files(&publisher.store.join("chunks"));
    assert!(
        served <= packed + largest,
        "{served} bytes served for {packed} bytes of packs (largest piece {largest})"
    );
}

/// The bytes of every file under `dir`.
fn walk_files(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| {
                    let path = entry.path();
                    if path.is_dir() {
                        walk_files(&path)
                    } else {
                        entry.metadata().map(|m| m.len()).unwrap_or(0)
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}
