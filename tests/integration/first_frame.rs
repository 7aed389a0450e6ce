//! The first frame is the real home: the configured VMs as tiles, with their last screens
//! from the previous run, before the hypervisor answers; live state then changes the tiles in
//! place. Checked on the headless window and on the real binary's very first frame.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use hearth::last_screens::LastScreens;
use hearth_tests::World;
use hearth_tests::services::{TempDir, wait_for};
use hearth_tests::test_sim_config;
use hearth_tests::xvfb::{Running, Xvfb};
use hearth_vm_bridge::VmRole;
use hearth_vm_bridge::sim::{SimConfig, SimHypervisor};

const NO_VMS: &str = "No computers are configured. Add them to the configuration file.";

fn demo_vms() -> Vec<(String, VmRole)> {
    vec![
        ("Personal".to_string(), VmRole::Personal),
        ("Work".to_string(), VmRole::Work),
    ]
}

#[test]
fn configured_vms_are_connecting_tiles_until_the_hypervisor_lists_them_in_place() {
    let world = World::unattached();
    world.app.expect_vms(demo_vms(), None);
    world.advance(10);
    let work = world
        .find("Open Work")
        .expect("Work's tile before any hypervisor");
    let personal = world
        .find("Open Personal")
        .expect("Personal's tile before any hypervisor");
    // Work first, as once listed.
    assert!(work.absolute_position().x < personal.absolute_position().x);
    assert!(world.find("Connecting").is_some(), "tiles say they connect");
    assert!(world.find(NO_VMS).is_none(), "no claim that none exist");
    let before = (work.absolute_position(), work.size());

    world
        .app
        .attach(Arc::new(SimHypervisor::new(test_sim_config())));
    world.advance(50);
    let work = world.find("Open Work").expect("Work's tile once listed");
    assert_eq!(
        (work.absolute_position(), work.size()),
        before,
        "no layout jump"
    );
    assert!(world.find("Running").is_some());
    assert!(world.find("Connecting").is_none());
}

#[test]
fn none_configured_is_said_only_once_the_hypervisor_lists_none() {
    let world = World::unattached();
    world.app.expect_vms(Vec::new(), None);
    world.advance(10);
    assert!(world.find(NO_VMS).is_none(), "nothing is known yet");
    let config = SimConfig {
        vms: Vec::new(),
        ..test_sim_config()
    };
    world.app.attach(Arc::new(SimHypervisor::new(config)));
    world.advance(50);
    assert!(world.find(NO_VMS).is_some(), "the hypervisor has no VMs");
}

/// An RGB PNG as (width, height, pixels).
fn read_png(path: &Path) -> (u32, u32, Vec<u8>) {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut reader = png::Decoder::new(std::io::BufReader::new(file))
        .read_info()
        .expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size().expect("a size")];
    let info = reader.next_frame(&mut pixels).expect("pixels");
    pixels.truncate(info.buffer_size());
    (info.width, info.height, pixels)
}

fn pixel(image: &(u32, u32, Vec<u8>), x: u32, y: u32) -> (u8, u8, u8) {
    let at = ((y * image.0 + x) * 3) as usize;
    (image.2[at], image.2[at + 1], image.2[at + 2])
}

/// Work's tile is blue and Personal's orange (their role colours), where an empty home has
/// only its dark background.
fn assert_shows_both_tiles(image: &(u32, u32, Vec<u8>), what: &str) {
    let (r, g, b) = pixel(image, 100, 380);
    assert!(
        b > r + 30 && b > g,
        "{what}: no blue Work tile at 100,380 ({r},{g},{b})"
    );
    let (r, g, b) = pixel(image, 700, 380);
    assert!(
        r > b + 30 && r > g,
        "{what}: no orange Personal tile at 700,380 ({r},{g},{b})"
    );
}

/// The share of pixels that differ clearly between two images of the same size.
fn differing_share(a: &(u32, u32, Vec<u8>), b: &(u32, u32, Vec<u8>)) -> f64 {
    assert_eq!((a.0, a.1), (b.0, b.1), "sizes differ");
    let differing =
        a.2.chunks_exact(3)
            .zip(b.2.chunks_exact(3))
            .filter(|(p, q)| p.iter().zip(q.iter()).any(|(x, y)| x.abs_diff(*y) > 40))
            .count();
    differing as f64 / (a.0 * a.1) as f64
}

/// The real binary's first frame, demo configuration, in a private cache and config folder.
fn first_frame(xvfb: &Xvfb, dir: &TempDir, name: &str, args: &[&str]) -> (Running, String) {
    let shot = dir.path().join(name).to_string_lossy().into_owned();
    let cache = dir.path().join("cache").to_string_lossy().into_owned();
    let config = dir.path().join("config").to_string_lossy().into_owned();
    let mut all = vec![
        "--language",
        "en-US",
        "--snapshot-first-frame",
        shot.as_str(),
    ];
    all.extend(args);
    let hearth = Running::start(
        xvfb,
        &all,
        &[("XDG_CACHE_HOME", &cache), ("XDG_CONFIG_HOME", &config)],
    );
    let path = shot.clone();
    // Hearth renames the file into place once it is complete.
    wait_for("the first frame", Duration::from_secs(30), || {
        Path::new(&path).exists()
    });
    (hearth, shot)
}

#[test]
fn the_real_first_frame_shows_the_tiles_and_on_a_second_start_their_last_screens() {
    let xvfb = Xvfb::start();
    let dir = TempDir::new("first-frame");
    let screens = LastScreens::new(dir.path().join("cache/hearth/last-screens"));

    // First start: tiles, though no picture of the screens exists yet.
    let (mut hearth, shot) = first_frame(&xvfb, &dir, "first.png", &[]);
    assert_shows_both_tiles(&read_png(Path::new(&shot)), "first start");
    hearth.wait_for_log("hypervisor connected", Duration::from_secs(30));
    wait_for(
        "the last screens to be kept",
        Duration::from_secs(30),
        || screens.load("Work").is_some() && screens.load("Personal").is_some(),
    );
    // The demo's media library is made, read and given thumbnails on the first start.
    hearth.wait_for_log("media library up to date", Duration::from_secs(180));
    hearth.process.kill();

    // Second start: the first frame already is the settled home, last screens included.
    let (mut hearth, shot) = first_frame(&xvfb, &dir, "second.png", &[]);
    let first = read_png(Path::new(&shot));
    assert_shows_both_tiles(&first, "second start");
    hearth.wait_for_log("hypervisor connected", Duration::from_secs(30));
    std::thread::sleep(Duration::from_secs(2));
    let (width, height, pixels) = xvfb.screenshot();
    let settled = (width, height, pixels);
    let share = differing_share(&first, &settled);
    // The state chips, the status line and the VMs' clocks may differ; nothing else.
    assert!(
        share < 0.02,
        "{:.1} % of the first frame differs from the settled home",
        share * 100.0
    );
}

#[test]
fn configured_libvirt_vms_are_on_the_first_frame_while_libvirt_is_unreachable() {
    let xvfb = Xvfb::start();
    let dir = TempDir::new("first-frame-libvirt");
    std::fs::create_dir_all(dir.path().join("config/hearth")).expect("config folder");
    std::fs::write(
        dir.path().join("config/hearth/hearth.toml"),
        "backend = \"libvirt\"\n[libvirt]\nbus = \"unix:path=/nonexistent/hearth-test-bus\"\n\
         [[vm]]\nname = \"vmA\"\nrole = \"work\"\n[[vm]]\nname = \"vmB\"\nrole = \"personal\"\n",
    )
    .expect("writing the configuration");
    let (_hearth, shot) = first_frame(&xvfb, &dir, "libvirt.png", &[]);
    assert_shows_both_tiles(&read_png(Path::new(&shot)), "libvirt unreachable");
}

#[test]
fn vms_the_configuration_does_not_name_get_their_last_screens_once_listed() {
    use hearth_tests::services::{LibvirtDbus, PrivateBus, test_domain_xml};
    use hearth_vm_bridge::libvirt::{Bus, DisplaySource, LibvirtConfig, LibvirtHypervisor};
    use slint::{ComponentHandle, Model, Rgba8Pixel, SharedPixelBuffer};

    let dir = TempDir::new("last-screens-listed");
    let store = LastScreens::new(dir.path().join("screens"));
    let mut green = SharedPixelBuffer::<Rgba8Pixel>::new(64, 40);
    for pixel in green.make_mut_slice() {
        *pixel = Rgba8Pixel::new(0, 200, 0, 255);
    }
    store.save("vmA", &green).expect("saving a last screen");

    // libvirt shows every domain (no [[vm]] list) and no screens: only the kept picture can
    // show on vmA's tile.
    let bus = PrivateBus::start();
    let _libvirt = LibvirtDbus::start(&bus);
    let path = LibvirtDbus::define(
        &bus,
        &test_domain_xml("vmA", "0c0c0c0c-1111-4222-8333-444444444444"),
    );
    LibvirtDbus::create(&bus, &path);
    let world = World::unattached();
    world.app.expect_vms(Vec::new(), Some(store));
    world
        .app
        .attach(Arc::new(LibvirtHypervisor::new(LibvirtConfig {
            bus: Bus::Address(bus.address.clone()),
            connection: "Test".into(),
            vms: Vec::new(),
            displays: DisplaySource::None,
        })));
    let tile = || {
        let tiles = world
            .app
            .window()
            .global::<hearth_ui::VmAdapter>()
            .get_vms();
        (0..tiles.row_count())
            .filter_map(|row| tiles.row_data(row))
            .find(|tile| tile.name == "vmA")
    };
    world.wait_until(
        "vmA's tile with its last screen",
        Duration::from_secs(30),
        |_| tile().is_some_and(|tile| tile.has_thumbnail),
    );
    let pixels = tile()
        .and_then(|tile| tile.thumbnail.to_rgb8())
        .expect("the picture's pixels");
    let first = pixels.as_slice()[0];
    assert_eq!((first.r, first.g, first.b), (0, 200, 0), "the kept picture");
}
