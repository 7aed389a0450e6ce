//! Start-up, idle CPU and memory of the real `hearth` binary under Xvfb, beside an empty Slint
//! window of the same size, backend and renderer.

use std::time::Duration;

use hearth_tests::services::{LibvirtDbus, PrivateBus, TempDir, test_domain_xml};
use hearth_tests::startup::{
    Figures, IDLE, LATER, Program, RUNS, Screen, measure, millis, sibling, start_and_watch,
    wait_for_media, write,
};
use hearth_tests::xvfb::Xvfb;

pub fn report() {
    let framebuffer = TempDir::new("bench-framebuffer");
    let fbdir = framebuffer.path().to_string_lossy().into_owned();
    let xvfb = Xvfb::start_with(&["-fbdir", &fbdir, "-br"]);
    let screen = Screen::open(framebuffer.path());
    let display = xvfb.display.clone();
    let hearth = sibling("hearth");

    // Private config and cache folders: the demo, its last screens kept by a first run.
    let home = TempDir::new("bench-home");
    let config_home = home.path().join("config").to_string_lossy().into_owned();
    let cache_home = home.path().join("cache").to_string_lossy().into_owned();
    let data_home = home.path().join("data").to_string_lossy().into_owned();
    let xdg = vec![
        ("XDG_CONFIG_HOME", config_home.as_str()),
        ("XDG_CACHE_HOME", cache_home.as_str()),
        ("XDG_DATA_HOME", data_home.as_str()),
    ];
    {
        // The first start makes the demo's media library and keeps the last screens.
        let (_warm_up, _) = start_and_watch(&screen, &hearth, &[], &xdg, &display);
        wait_for_media(
            &home.path().join("data/hearth/demo-library.sqlite"),
            Duration::from_secs(180),
        );
        std::thread::sleep(Duration::from_secs(3));
    }

    // libvirt's Test driver on a private bus, with two domains and no screens.
    let bus = PrivateBus::start();
    let _libvirt = LibvirtDbus::start(&bus);
    for (name, uuid) in [
        ("Office", "1a1a1a1a-1111-4222-8333-444444444444"),
        ("Home", "1b1b1b1b-1111-4222-8333-444444444444"),
    ] {
        let path = LibvirtDbus::define(&bus, &test_domain_xml(name, uuid));
        LibvirtDbus::create(&bus, &path);
    }
    let libvirt_config = home.path().join("libvirt.toml");
    write(
        &libvirt_config,
        &format!(
            "backend = \"libvirt\"\n[libvirt]\nbus = \"{}\"\nconnection = \"Test\"\n\
             displays = \"none\"\n[[vm]]\nname = \"Office\"\nrole = \"work\"\n\
             [[vm]]\nname = \"Home\"\nrole = \"personal\"\n",
            bus.address
        ),
    );
    let libvirt_config = libvirt_config.to_string_lossy().into_owned();

    let programs = [
        Program::empty_window(),
        Program {
            name: "hearth demo, last screens kept",
            path: hearth.clone(),
            args: vec![],
            env: xdg.clone(),
        },
        Program {
            name: "hearth demo, first start ever",
            path: hearth.clone(),
            args: vec![],
            // A cache folder that cannot be created: no last screens are kept or found.
            env: vec![
                ("XDG_CONFIG_HOME", config_home.as_str()),
                ("XDG_CACHE_HOME", "/dev/null/no-cache"),
                ("XDG_DATA_HOME", data_home.as_str()),
            ],
        },
        Program {
            name: "hearth, libvirt Test driver",
            path: hearth.clone(),
            args: vec!["--config", &libvirt_config],
            env: xdg.clone(),
        },
    ];
    let rows: Vec<(&str, Figures)> = programs
        .iter()
        .map(|program| (program.name, measure(&screen, program, &display)))
        .collect();
    println!();
    println!(
        "## Memory counted whole: the program and every process it started (helpers, players), \
         after {} s idle and {} s later",
        IDLE.as_secs(),
        (IDLE + LATER).as_secs()
    );
    println!();
    println!(
        "| program | processes | RSS, all | PSS, all | processes later | RSS later | PSS later | goal |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    for (name, figures) in &rows {
        let (idle, later) = (figures.idle, figures.later);
        println!(
            "| {name} | {} | {:.1} MiB | {:.1} MiB | {} | {:.1} MiB | {:.1} MiB | {} |",
            idle.processes,
            idle.rss_mib,
            idle.pss_mib,
            later.processes,
            later.rss_mib,
            later.pss_mib,
            if name.starts_with("hearth") {
                "RSS ≤ 64 MiB, PSS ≤ 48 MiB"
            } else {
                "baseline"
            }
        );
    }
    println!();
    println!(
        "## Start-up and idle (winit, software renderer, Xvfb 1280x800, {RUNS} starts each, \
         judged from the screen's pixels)"
    );
    println!();
    println!(
        "| program | first frame p50 | settled p50 | settled max | idle CPU over {} s | RSS after idle | goal |",
        IDLE.as_secs()
    );
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    for (name, figures) in &rows {
        println!(
            "| {name} | {} | {} | {} | {:.2} % of a core | {:.1} MiB | {} |",
            millis(figures.first_frame_median),
            millis(figures.settled_median),
            millis(figures.settled_worst),
            figures.idle_cpu_percent,
            figures.rss_mib,
            if name.starts_with("hearth") {
                "settled ≤ 150 ms, ≤ 64 MiB"
            } else {
                ""
            }
        );
    }
    let base = &rows[0].1;
    for (name, figures) in &rows[1..] {
        println!(
            "| ratio {name} / baseline's first frame | | {:.2} | {:.2} | | {:.2} | settled ≤ 3 |",
            figures.settled_median.as_secs_f64() / base.first_frame_median.as_secs_f64(),
            figures.settled_worst.as_secs_f64() / base.first_frame_median.as_secs_f64(),
            figures.rss_mib / base.rss_mib
        );
    }
}
