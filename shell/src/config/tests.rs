//! Tests of `hearth.toml` parsing: exact messages for broken files, values for good ones, and
//! the file lookup rules.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::*;

/// The path broken configs are reported against; nothing exists under it.
const TEST_PATH: &str = "/hearth-config-test/hearth.toml";

/// Parses `text` as if read from [`TEST_PATH`] and compares the result, or the full error
/// message, with `expected`.
fn check(text: &str, expected: Result<Config, &str>) {
    let actual = Config::parse(text, Path::new(TEST_PATH)).map_err(|error| error.to_string());
    let expected = expected.map_err(str::to_owned);
    assert_eq!(actual, expected, "config text:\n{text}");
}

/// A directory of its own under the system's temporary directory, removed when dropped.
struct TempDirectory {
    path: PathBuf,
}

impl TempDirectory {
    fn new(purpose: &str) -> TempDirectory {
        static NEXT_NUMBER: AtomicUsize = AtomicUsize::new(0);
        let number = NEXT_NUMBER.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!(
            "hearth-config-{purpose}-{}-{number}",
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).expect("create the test's temporary directory");
        TempDirectory { path }
    }

    fn write(&self, relative_path: &str, contents: &str) -> PathBuf {
        let path = self.path.join(relative_path);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)
                .expect("create a directory in the test's temporary directory");
        }
        fs::write(&path, contents).expect("write a file in the test's temporary directory");
        path
    }
}

impl Drop for TempDirectory {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

#[test]
fn broken_configs_give_exact_errors() {
    let cases: &[(&str, &str)] = &[
        // Syntax.
        (
            "language = \"de\"\nlog = \n",
            "/hearth-config-test/hearth.toml:2:7: string values must be quoted, expected literal string",
        ),
        (
            "[simulated\n",
            "/hearth-config-test/hearth.toml:1:11: unclosed table, expected `]`",
        ),
        (
            "language = \"de\"\nlanguage = \"pl\"\n",
            "/hearth-config-test/hearth.toml:2:1: duplicate key",
        ),
        // Unknown keys.
        (
            "langauge = \"de\"\n",
            "/hearth-config-test/hearth.toml:1:1: unknown field `langauge`, expected one of `language`, `log`, `backend`, `simulated`, `libvirt`, `media`, `images`, `playback`, `kiosk`, `service`, `appliance`, `input`, `vm`",
        ),
        (
            "[simulated]\nscreen = { width = 1280, height = 800 }\n",
            "/hearth-config-test/hearth.toml:2:1: unknown field `screen`, expected one of `screen_width`, `screen_height`, `start_delay_ms`, `shutdown_delay_ms`",
        ),
        (
            "[[vm]]\nname = \"Work\"\ncolour = \"red\"\n",
            "/hearth-config-test/hearth.toml:3:1: unknown field `colour`, expected one of `name`, `role`, `running`, `fit_display`, `icon`",
        ),
        // Types and values.
        (
            "[[vm]]\nname = \"Work\"\nrunning = \"yes\"\n",
            r#"/hearth-config-test/hearth.toml:3:11: invalid type: string "yes", expected a boolean"#,
        ),
        (
            "[[vm]]\nname = \"Work\"\nrole = \"boss\"\n",
            "/hearth-config-test/hearth.toml:3:8: unknown variant `boss`, expected one of `work`, `personal`, `other`",
        ),
        (
            "[[vm]]\nrole = \"work\"\n",
            "/hearth-config-test/hearth.toml:1:1: missing field `name`",
        ),
        (
            "[vm]\nname = \"Work\"\n",
            "/hearth-config-test/hearth.toml:1:1: invalid type: map, expected a sequence",
        ),
        (
            "backend = \"xen\"\n",
            "/hearth-config-test/hearth.toml:1:11: unknown variant `xen`, expected `simulated` or `libvirt`",
        ),
        (
            "[libvirt]\nbus = \"sesion\"\n",
            "/hearth-config-test/hearth.toml:2:7: invalid bus \"sesion\" (expected \"session\", \"system\" or a D-Bus address such as \"unix:path=/run/bus\")",
        ),
        (
            "[libvirt]\ndisplays = \"vnc\"\n",
            "/hearth-config-test/hearth.toml:2:12: invalid displays \"vnc\" (expected \"libvirt\", \"none\", \"session\", \"system\" or a D-Bus address)",
        ),
        (
            "[libvirt]\nconnection = \"qemu:///system\"\n",
            "/hearth-config-test/hearth.toml:2:14: invalid libvirt connection \"qemu:///system\" (expected a name such as \"QEMU\", \"Test\" or \"Xen\")",
        ),
        (
            "[images]\nbus = \"sytem\"\n",
            "/hearth-config-test/hearth.toml:2:7: invalid bus \"sytem\" (expected \"session\", \"system\", \"off\" or a D-Bus address)",
        ),
        (
            "[libvirt]\nuri = \"qemu:///system\"\n",
            "/hearth-config-test/hearth.toml:2:1: unknown field `uri`, expected one of `bus`, `connection`, `displays`",
        ),
        (
            "language = \"fr\"\n",
            r#"/hearth-config-test/hearth.toml:1:12: unsupported language "fr" (expected one of "en-US", "de", "pl")"#,
        ),
        (
            "log = \"hearth=loud\"\n",
            r#"/hearth-config-test/hearth.toml:1:7: invalid log filter "hearth=loud" (expected a tracing filter such as "info" or "hearth=debug,warn"): error parsing level filter: expected one of "off", "error", "warn", "info", "debug", "trace", or a number 0-5"#,
        ),
        (
            "[simulated]\nscreen_width = -1\n",
            "/hearth-config-test/hearth.toml:2:16: invalid value: integer `-1`, expected u32",
        ),
        // Checks of our own.
        (
            "[[vm]]\nname = \"Work\"\n\n[[vm]]\nname = \" work \"\n",
            r#"/hearth-config-test/hearth.toml:5:8: duplicate VM name "work" (VM names must be unique, ignoring case; the first is on line 2)"#,
        ),
        (
            "[[vm]]\nname = \"  \"\n",
            r#"/hearth-config-test/hearth.toml:2:8: empty VM name (expected a name such as "Work")"#,
        ),
        (
            "[[vm]]\nname = \"Work\"\nicon = \"icons/missing.svg\"\n",
            r#"/hearth-config-test/hearth.toml:3:8: icon file "/hearth-config-test/icons/missing.svg" does not exist (expected a path relative to the config file's directory, or an absolute path)"#,
        ),
        (
            "[[vm]]\nname = \"Work\"\nicon = \"/\"\n",
            r#"/hearth-config-test/hearth.toml:3:8: icon "/" is a directory (expected an image file)"#,
        ),
        (
            "[simulated]\nscreen_width = 100\n",
            "/hearth-config-test/hearth.toml:2:16: screen_width 100 is out of range (expected 320 to 7680 pixels)",
        ),
        (
            "[simulated]\nscreen_height = 5000\n",
            "/hearth-config-test/hearth.toml:2:17: screen_height 5000 is out of range (expected 240 to 4320 pixels)",
        ),
        (
            "[simulated]\nstart_delay_ms = 60001\n",
            "/hearth-config-test/hearth.toml:2:18: start_delay_ms 60001 is too long (expected at most 60000 milliseconds)",
        ),
        (
            "[simulated]\nshutdown_delay_ms = 100000\n",
            "/hearth-config-test/hearth.toml:2:21: shutdown_delay_ms 100000 is too long (expected at most 60000 milliseconds)",
        ),
        // Columns count characters, not bytes, and Windows line endings count as one line.
        (
            "[[vm]]\nname = \"Wörk\"\n\n[[vm]]\n  name   =   \"wÖrk\"\n",
            r#"/hearth-config-test/hearth.toml:5:14: duplicate VM name "wÖrk" (VM names must be unique, ignoring case; the first is on line 2)"#,
        ),
        (
            "[[vm]]\r\nname = \"\"\r\n",
            r#"/hearth-config-test/hearth.toml:2:8: empty VM name (expected a name such as "Work")"#,
        ),
    ];
    for (text, expected) in cases {
        check(text, Err(expected));
    }
}

#[test]
fn good_configs_fill_in_defaults() {
    let demo_without_vms = Config {
        vms: Vec::new(),
        media: MediaSettings::default(),
        ..Config::demo()
    };
    check("", Ok(demo_without_vms.clone()));
    check("# Nothing but a comment.\n\n", Ok(demo_without_vms.clone()));
    check("[simulated]\n", Ok(demo_without_vms.clone()));
    check(
        "language = \"en-us\"\nlog = \"hearth=debug,warn\"\nbackend = \"simulated\"\n",
        Ok(Config {
            language: Some("en-US".to_owned()),
            log: Some("hearth=debug,warn".to_owned()),
            ..demo_without_vms.clone()
        }),
    );
    check(
        "language = \"PL\"\n",
        Ok(Config {
            language: Some("pl".to_owned()),
            ..demo_without_vms.clone()
        }),
    );
    check(
        "[simulated]\nscreen_width = 320\nscreen_height = 240\nstart_delay_ms = 0\nshutdown_delay_ms = 60000\n",
        Ok(Config {
            simulated: SimulatedConfig {
                screen_width: 320,
                screen_height: 240,
                start_delay_ms: 0,
                shutdown_delay_ms: 60000,
            },
            ..demo_without_vms.clone()
        }),
    );
    check(
        "[simulated]\nscreen_width = 7680\nscreen_height = 4320\n",
        Ok(Config {
            simulated: SimulatedConfig {
                screen_width: 7680,
                screen_height: 4320,
                ..SimulatedConfig::default()
            },
            ..demo_without_vms.clone()
        }),
    );
    check(
        "[[vm]]\nname = \"  Media  \"\n\n[[vm]]\nname = \"Banking\"\nrole = \"personal\"\nrunning = false\nfit_display = false\n",
        Ok(Config {
            vms: vec![
                VmConfig {
                    name: "Media".to_owned(),
                    role: VmRole::Other,
                    running: true,
                    fit_display: true,
                    icon: None,
                },
                VmConfig {
                    name: "Banking".to_owned(),
                    role: VmRole::Personal,
                    running: false,
                    fit_display: false,
                    icon: None,
                },
            ],
            ..demo_without_vms.clone()
        }),
    );
    check(
        "vm = [{ name = \"Work\", role = \"work\" }]\n",
        Ok(Config {
            vms: vec![VmConfig {
                name: "Work".to_owned(),
                role: VmRole::Work,
                running: true,
                fit_display: true,
                icon: None,
            }],
            ..demo_without_vms
        }),
    );
}

#[test]
fn example_file_parses_to_the_demo() {
    let example = include_str!("../../../assets/hearth.example.toml");
    // A file names no sample library: its media are the user's own folders.
    check(
        example,
        Ok(Config {
            media: MediaSettings::default(),
            ..Config::demo()
        }),
    );
}

#[test]
fn sim_config_uses_demo_vms_only_when_none_are_configured() {
    assert_eq!(Config::demo().sim_config(), SimConfig::demo());
    let empty = Config::parse("", Path::new(TEST_PATH)).expect("an empty file is valid");
    assert_eq!(empty.sim_config(), SimConfig::demo());

    let text = "[simulated]\nscreen_width = 1920\nscreen_height = 1080\nstart_delay_ms = 5\nshutdown_delay_ms = 7\n\n\
                [[vm]]\nname = \"Lab\"\nrunning = false\n";
    let config = Config::parse(text, Path::new(TEST_PATH)).expect("the config is valid");
    assert_eq!(
        config.sim_config(),
        SimConfig {
            vms: vec![SimVm {
                name: "Lab".to_owned(),
                role: VmRole::Other,
                running: false
            }],
            screen_width: 1920,
            screen_height: 1080,
            start_delay: Duration::from_millis(5),
            shutdown_delay: Duration::from_millis(7),
            clock: SimClock::System,
        }
    );
}

#[test]
fn icons_resolve_against_the_config_files_directory() {
    let directory = TempDirectory::new("icons");
    let work_icon = directory.write("icons/work.svg", "<svg/>");
    let absolute_icon = directory.write("elsewhere/personal.png", "png");
    let text = format!(
        "[[vm]]\nname = \"Work\"\nicon = \"icons/work.svg\"\n\n[[vm]]\nname = \"Personal\"\nicon = \"{}\"\n",
        absolute_icon.display()
    );
    let config_path = directory.write("hearth.toml", &text);
    let config = Config::load(&config_path).expect("the icons exist");
    let icons: Vec<Option<PathBuf>> = config.vms.into_iter().map(|vm| vm.icon).collect();
    assert_eq!(icons, vec![Some(work_icon), Some(absolute_icon)]);

    let missing_path = directory.write(
        "missing.toml",
        "[[vm]]\nname = \"Work\"\nicon = \"icons/none.svg\"\n",
    );
    let error = Config::load(&missing_path).expect_err("the icon is missing");
    assert_eq!(
        error.to_string(),
        format!(
            "{}:3:8: icon file \"{}\" does not exist (expected a path relative to the config file's directory, or an absolute path)",
            missing_path.display(),
            directory.path.join("icons/none.svg").display()
        )
    );
}

#[test]
fn load_reports_unreadable_files() {
    let directory = TempDirectory::new("load");
    let absent_path = directory.path.join("absent.toml");
    let error = Config::load(&absent_path).expect_err("the file does not exist");
    assert!(
        matches!(&error, ConfigError::Read { path, source } if *path == absent_path && source.kind() == io::ErrorKind::NotFound),
        "{error:?}"
    );

    let binary_path = directory.path.join("binary.toml");
    fs::write(&binary_path, b"[[vm]]\nname = \"W\xFFrk\"\n").expect("write the test file");
    let error = Config::load(&binary_path).expect_err("the file is not UTF-8");
    assert_eq!(
        error.to_string(),
        format!(
            "{}:2:10: the file is not valid UTF-8 (expected a UTF-8 encoded TOML file)",
            binary_path.display()
        )
    );
}

#[test]
fn load_or_demo_prefers_explicit_then_default_then_demo() {
    let directory = TempDirectory::new("load-or-demo");
    let config_path = directory.write("hearth.toml", "language = \"de\"\n");
    let absent_path = directory.path.join("absent.toml");
    let german = Config {
        language: Some("de".to_owned()),
        vms: Vec::new(),
        media: MediaSettings::default(),
        ..Config::demo()
    };

    let loaded =
        load_explicit_or_default(Some(&config_path), Some(absent_path.clone())).expect("it exists");
    assert_eq!(loaded, (german.clone(), Some(config_path.clone())));

    let error = load_explicit_or_default(Some(&absent_path), Some(config_path.clone()))
        .expect_err("an explicit path must exist");
    assert!(
        matches!(&error, ConfigError::Read { path, .. } if *path == absent_path),
        "{error:?}"
    );

    let loaded = load_explicit_or_default(None, Some(config_path.clone())).expect("it exists");
    assert_eq!(loaded, (german, Some(config_path)));

    let loaded = load_explicit_or_default(None, Some(absent_path)).expect("the demo stands in");
    assert_eq!(loaded, (Config::demo(), None));

    let loaded = load_explicit_or_default(None, None).expect("the demo stands in");
    assert_eq!(loaded, (Config::demo(), None));
}

#[test]
fn default_path_follows_the_xdg_rules() {
    let cases: &[(Option<&str>, Option<&str>, Option<&str>)] = &[
        (
            Some("/xdg"),
            Some("/home/ann"),
            Some("/xdg/hearth/hearth.toml"),
        ),
        (
            None,
            Some("/home/ann"),
            Some("/home/ann/.config/hearth/hearth.toml"),
        ),
        (
            Some(""),
            Some("/home/ann"),
            Some("/home/ann/.config/hearth/hearth.toml"),
        ),
        (
            Some("relative"),
            Some("/home/ann"),
            Some("/home/ann/.config/hearth/hearth.toml"),
        ),
        (Some("/xdg"), None, Some("/xdg/hearth/hearth.toml")),
        (None, Some(""), None),
        (None, None, None),
    ];
    for (xdg_config_home, home, expected) in cases {
        let actual = default_path_from(
            xdg_config_home.map(OsString::from),
            home.map(OsString::from),
        );
        assert_eq!(
            actual,
            expected.map(PathBuf::from),
            "XDG_CONFIG_HOME={xdg_config_home:?} HOME={home:?}"
        );
    }
}

#[test]
fn the_image_service_is_looked_for_on_the_bus_named() {
    use crate::downloads::Bus;
    let path = Path::new("/hearth-config-test/hearth.toml");
    let parse = |text: &str| {
        Config::parse(text, path)
            .expect("a valid config")
            .images
            .bus
    };
    assert_eq!(parse(""), Some(Bus::Session));
    assert_eq!(parse("[images]\nbus = \"system\"\n"), Some(Bus::System));
    assert_eq!(parse("[images]\nbus = \"off\"\n"), None);
    assert_eq!(
        parse("[images]\nbus = \"unix:path=/run/hearth/bus\"\n"),
        Some(Bus::Address("unix:path=/run/hearth/bus".into()))
    );
}

#[test]
fn playback_settings_name_the_sound_output_and_the_gestures() {
    use hearth_media::player::AudioOutput;
    let path = Path::new("/hearth-config-test/hearth.toml");
    let parse = |text: &str| Config::parse(text, path).map(|config| config.playback);
    let defaults = parse("").expect("a valid config");
    assert_eq!(defaults, PlaybackSettings::default());
    assert!(defaults.pause_video_on_switch && !defaults.pause_music_on_switch);
    let set = parse(
        "[playback]\naudio = \"alsa:hw:0,3\"\npause_music_on_switch = true\nswipe_seek = false\n",
    )
    .expect("a valid config");
    assert_eq!(set.audio, AudioOutput::Alsa(Some("hw:0,3".into())));
    assert!(set.pause_music_on_switch && !set.swipe_seek && set.double_tap_seek);
    assert_eq!(
        parse("[playback]\naudio = \"none\"\n")
            .expect("a valid config")
            .audio,
        AudioOutput::Silent
    );
    let error = parse("[playback]\naudio = \"speakers\"\n")
        .expect_err("an unknown output")
        .to_string();
    assert!(
        error.starts_with("/hearth-config-test/hearth.toml:2:9: invalid audio output \"speakers\""),
        "{error}"
    );
}

#[test]
fn kiosk_tables_are_checked_against_the_vms() {
    let vms = "[[vm]]\nname = \"Work\"\n\n[[vm]]\nname = \"Personal\"\n\n";
    let broken: &[(&str, &str)] = &[
        (
            "[kiosk]\nallow = [\"Wrok\"]\n",
            "/hearth-config-test/hearth.toml:8:10: no VM is called \"Wrok\" (expected \"home\", \"media\" or one of: Work, Personal)",
        ),
        (
            "[kiosk]\nallow = [\"Work\"]\nstart = \"home\"\n",
            "/hearth-config-test/hearth.toml:9:9: kiosk mode cannot start at \"home\": it must be an allowed VM, \"home\" when home is allowed, or \"videos\", \"music\" or \"photos\" when media is",
        ),
        (
            "[kiosk]\nallow = [\"Work\"]\nhide = [\"everything\"]\n",
            "/hearth-config-test/hearth.toml:9:9: cannot hide \"everything\" (expected \"lifecycle\", \"settings\" or \"downloads\")",
        ),
        (
            "[kiosk]\nallow = [\"Work\"]\npin = \"1234\"\n",
            "/hearth-config-test/hearth.toml:9:7: pin must be an argon2 hash as `hearth kiosk-pin` prints it, never the PIN itself",
        ),
        (
            "[service]\nbus = \"sesion\"\n",
            "/hearth-config-test/hearth.toml:8:7: invalid bus \"sesion\" (expected \"session\", \"system\", \"none\" or a D-Bus address)",
        ),
    ];
    for (text, message) in broken {
        let text = format!("{vms}{text}");
        let error = Config::parse(&text, Path::new(TEST_PATH))
            .expect_err("a broken kiosk table")
            .to_string();
        assert_eq!(error, *message, "config text:\n{text}");
    }
    let text = format!(
        "{vms}[kiosk]\nallow = [\"work\", \"media\"]\nhide = [\"settings\"]\nidle_timeout_s = 90\nwhen_stopped = \"show\"\nadmin_corner = \"bottom-right\"\n"
    );
    let kiosk = Config::parse(&text, Path::new(TEST_PATH))
        .expect("a good kiosk table")
        .kiosk
        .expect("kiosk mode on");
    assert_eq!(kiosk.vms, vec!["work".to_string()]);
    assert!(kiosk.media && !kiosk.home);
    assert_eq!(kiosk.start, crate::kiosk::Start::Vm("work".into()));
    assert!(kiosk.hide_settings && !kiosk.hide_lifecycle && !kiosk.hide_downloads);
    assert_eq!(kiosk.idle_timeout, Some(Duration::from_secs(90)));
    assert_eq!(kiosk.when_stopped, crate::kiosk::WhenStopped::Show);
    assert_eq!(kiosk.corner, crate::kiosk::Corner::BottomRight);
    let off = format!("{vms}[kiosk]\nenabled = false\nallow = [\"Work\"]\n");
    assert_eq!(
        Config::parse(&off, Path::new(TEST_PATH))
            .expect("parses")
            .kiosk,
        None
    );
}

#[test]
fn input_settings_name_the_keys_hearth_keeps_in_a_vms_view() {
    let path = Path::new("/hearth-config-test/hearth.toml");
    let parse = |text: &str| Config::parse(text, path).map(|config| config.input);
    assert_eq!(parse("").expect("a valid config").hearth_keys, vec![172]);
    assert_eq!(
        parse("[input]\nhearth_keys = [\"KEY_HOMEPAGE\", \"KEY_PLAYPAUSE\"]\n")
            .expect("a valid config")
            .hearth_keys,
        vec![172, 164]
    );
    assert_eq!(
        parse("[input]\nhearth_keys = []\n")
            .expect("a valid config")
            .hearth_keys,
        Vec::<u32>::new()
    );
    let error = parse("[input]\nhearth_keys = [\"KEY_HOME_PAGE\"]\n")
        .expect_err("an unknown key")
        .to_string();
    assert!(
        error.starts_with(
            "/hearth-config-test/hearth.toml:2:16: unknown key \"KEY_HOME_PAGE\" in hearth_keys \
             (expected one of KEY_MUTE, "
        ),
        "{error}"
    );
}
