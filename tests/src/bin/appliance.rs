//! `cargo xtask appliance`: boots the appliance guest for a person, with Hearth installed
//! by docs/DEPLOY.md's script, and drives it afterwards from another terminal.
//!
//! ```text
//! appliance boot [--dir DIR] [--profile release|debug] [--vnc N] [--size WxH]
//! appliance tap X Y                      a finger down and up, in screen pixels
//! appliance swipe X1 Y1 X2 Y2 [FINGERS]  one or more fingers side by side
//! appliance keys KEY...                  pressed together (ctrl alt right)
//! appliance type KEY...                  one after another (h e l l o ret)
//! appliance screenshot FILE              the guest's screen as PNG
//! appliance run 'COMMAND'                a shell command as root in the guest
//! appliance stop                         QEMU quits
//! ```

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use hearth_tests::appliance::{Appliance, Binaries, GUEST_CONFIG, Options, Screen};

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let dir = take_option(&mut args, "--dir")
        .map(PathBuf::from)
        .unwrap_or_else(default_dir);
    let result = match args.first().map(String::as_str) {
        Some("boot") => boot(&dir, &mut args),
        Some(_) => drive(&dir, &args),
        None => Err("usage: appliance boot|tap|swipe|keys|type|screenshot|run|stop …".into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("appliance: {error}");
            ExitCode::FAILURE
        }
    }
}

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// `<target>/hearth-appliance`, beside this program's profile folder.
fn default_dir() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.join("hearth-appliance")))
        .unwrap_or_else(|| PathBuf::from("hearth-appliance"))
}

fn take_option(args: &mut Vec<String>, name: &str) -> Option<String> {
    let at = args.iter().position(|arg| arg == name)?;
    args.remove(at);
    (at < args.len()).then(|| args.remove(at))
}

fn boot(dir: &Path, args: &mut Vec<String>) -> Result<()> {
    let profile = take_option(args, "--profile").unwrap_or_else(|| "release".into());
    let vnc: u16 = take_option(args, "--vnc")
        .map(|n| n.parse())
        .transpose()?
        .unwrap_or(0);
    let (width, height) = match take_option(args, "--size") {
        Some(size) => {
            let (w, h) = size.split_once('x').ok_or("--size is WIDTHxHEIGHT")?;
            (w.parse()?, h.parse()?)
        }
        None => (1280, 800),
    };
    let target = dir.parent().ok_or("the folder has no parent")?;
    let binaries = Binaries::in_target(target, &profile);
    let options = Options {
        width,
        height,
        screen: Screen::Vnc(vnc),
        ..Options::default()
    };
    eprintln!("appliance: booting the guest (TCG: about a minute)");
    let appliance = Appliance::boot(dir, &binaries, &options)?;
    std::fs::write(dir.join("size"), format!("{width}x{height}"))?;
    appliance.wait_for_agent(Duration::from_secs(300))?;
    eprintln!("appliance: installing Hearth with assets/deploy/install.sh");
    let installed = appliance.install(GUEST_CONFIG)?;
    if !installed.success() {
        return Err(format!(
            "install.sh failed:\n{}{}",
            installed.stdout, installed.stderr
        )
        .into());
    }
    let me = std::env::current_exe()?;
    let me = me.display();
    println!(
        "The appliance is running; Hearth starts on its screen under systemd.

Watch it:   a VNC viewer on 127.0.0.1:{port}
            or {screen}, saved every 2 s
Drive it:   {me} tap 300 300            (the Work tile at 1280x800)
            {me} swipe 2 400 600 400    (an edge swipe)
            {me} keys ctrl alt right
            {me} run 'journalctl -u hearth -n 20'
            {me} run 'busctl --system get-property org.hearth.Shell1 /org/hearth/Shell1 org.hearth.Shell1 Screen'
Stop it:    Ctrl+C here, or {me} stop",
        port = 5900 + u32::from(vnc),
        screen = dir.join("screen.png").display(),
    );
    // Screendumps every two seconds while QEMU runs, letting go of QMP in between for the
    // commands of other terminals.
    appliance.disconnect();
    while appliance.screenshot().is_ok() {
        appliance.disconnect();
        std::thread::sleep(Duration::from_secs(2));
    }
    eprintln!("appliance: QEMU has stopped");
    Ok(())
}

fn drive(dir: &Path, args: &[String]) -> Result<()> {
    let size = std::fs::read_to_string(dir.join("size"))
        .map_err(|_| format!("no guest booted in {} (`appliance boot`)", dir.display()))?;
    let (width, height) = size.trim().split_once('x').ok_or("a damaged size file")?;
    let appliance = Appliance::attach(dir, width.parse()?, height.parse()?);
    let numbers = |from: usize, count: usize| -> Result<Vec<f32>> {
        let values: Vec<f32> = args
            .iter()
            .skip(from)
            .take(count)
            .map(|value| value.parse::<f32>())
            .collect::<std::result::Result<_, _>>()?;
        if values.len() < count {
            return Err(format!("{} needs {count} numbers", args[0]).into());
        }
        Ok(values)
    };
    let keys: Vec<&str> = args.iter().skip(1).map(String::as_str).collect();
    match args[0].as_str() {
        "tap" => {
            let at = numbers(1, 2)?;
            appliance.tap((at[0], at[1]))?;
        }
        "swipe" => {
            let at = numbers(1, 4)?;
            let fingers: usize = args.get(5).map(|n| n.parse()).transpose()?.unwrap_or(1);
            let spread = |i: usize| i as f32 * 60.0;
            let from: Vec<(f32, f32)> = (0..fingers).map(|i| (at[0], at[1] + spread(i))).collect();
            let to: Vec<(f32, f32)> = (0..fingers).map(|i| (at[2], at[3] + spread(i))).collect();
            appliance.swipe(&from, &to, 8, Duration::from_millis(250))?;
        }
        "keys" => appliance.press_keys(&keys)?,
        "type" => appliance.type_keys(&keys)?,
        "screenshot" => {
            let file = args.get(1).ok_or("screenshot needs a file")?;
            appliance.screenshot()?.save(file)?;
        }
        "run" => {
            let output = appliance.run(&args[1..].join(" "))?;
            print!("{}", output.stdout);
            eprint!("{}", output.stderr);
            if !output.success() {
                return Err(format!("the command ended with {}", output.code).into());
            }
        }
        "stop" => appliance.quit()?,
        other => return Err(format!("unknown command {other:?}").into()),
    }
    Ok(())
}
