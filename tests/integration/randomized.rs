//! Thousands of random interleavings of switches, touches and key presses. Whatever happens,
//! no event reaches a VM that is not shown, the VM shown is the VM with input focus, and no
//! key stays pressed in a guest once the user has let go of everything.

use hearth::gestures::Phase;
use hearth_tests::World;
use slint::platform::Key;

/// One thing a user might do.
#[derive(Debug, Clone, Copy)]
enum Step {
    KeyDown(usize),
    KeyUp(usize),
    Hotkey(usize),
    TapTile(usize),
    Home,
    EdgeSwipe {
        from_left: bool,
        distance: f32,
        release: bool,
    },
    ThreeFingers {
        distance: f32,
    },
    Touch {
        x: f32,
        y: f32,
    },
    Wait(u64),
}

const TEXTS: &[&str] = &["a", "b", "z", "1", "\n", " "];

fn key_text(index: usize) -> slint::SharedString {
    match index {
        0 => char::from(Key::Control).into(),
        1 => char::from(Key::Alt).into(),
        2 => char::from(Key::Shift).into(),
        n => TEXTS[n % TEXTS.len()].into(),
    }
}

fn random_step(rng: &mut fastrand::Rng) -> Step {
    match rng.u8(0..100) {
        0..=29 => Step::KeyDown(rng.usize(0..9)),
        30..=54 => Step::KeyUp(rng.usize(0..9)),
        55..=62 => Step::Hotkey(rng.usize(0..4)),
        63..=67 => Step::TapTile(rng.usize(0..2)),
        68..=70 => Step::Home,
        71..=78 => Step::EdgeSwipe {
            from_left: rng.bool(),
            distance: rng.f32() * 900.0,
            release: rng.u8(0..4) > 0,
        },
        79..=82 => Step::ThreeFingers {
            distance: rng.f32() * 1400.0 - 700.0,
        },
        83..=92 => Step::Touch {
            x: rng.f32() * 1200.0 + 40.0,
            y: rng.f32() * 700.0 + 40.0,
        },
        _ => Step::Wait(rng.u64(1..300)),
    }
}

const TILES: [&str; 2] = ["Open Work", "Open Personal"];

fn run(world: &World, step: Step, held: &mut Vec<usize>) {
    match step {
        Step::KeyDown(index) => {
            if !held.contains(&index) {
                held.push(index);
                world.key_down(key_text(index));
            }
        }
        Step::KeyUp(index) => {
            if let Some(position) = held.iter().position(|h| *h == index) {
                held.remove(position);
                world.key_up(key_text(index));
            }
        }
        Step::Hotkey(which) => {
            let key: slint::SharedString = match which {
                0 => char::from(Key::LeftArrow).into(),
                1 => char::from(Key::RightArrow).into(),
                2 => "1".into(),
                _ => "2".into(),
            };
            world.hotkey(key);
        }
        Step::TapTile(index) => {
            if world.shown_vm().is_none() && world.find(TILES[index]).is_some() {
                world.tap(TILES[index]);
            }
        }
        Step::Home => world.hotkey(Key::UpArrow),
        Step::EdgeSwipe {
            from_left,
            distance,
            release,
        } => {
            let start = if from_left { 3.0 } else { 1277.0 };
            let end = if from_left {
                start + distance
            } else {
                start - distance
            };
            world.swipe(1, (start, 400.0), (end, 400.0), 150, release);
            if !release {
                world.touch(0, Phase::Cancel, end, 400.0);
            }
        }
        Step::ThreeFingers { distance } => {
            world.swipe(3, (500.0, 300.0), (500.0 + distance, 300.0), 150, true)
        }
        Step::Touch { x, y } => {
            world.touch(7, Phase::Down, x, y);
            world.touch(7, Phase::Up, x, y);
        }
        Step::Wait(millis) => world.advance(millis),
    }
}

#[test]
fn input_never_reaches_an_unfocused_vm_and_no_key_stays_pressed() {
    let (world, violations) = World::audited();
    let mut steps = 0;
    let mut switches = 0;
    for seed in 0..12u64 {
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut held: Vec<usize> = Vec::new();
        for _ in 0..250 {
            let step = random_step(&mut rng);
            let before = world.app.focused();
            run(&world, step, &mut held);
            if world.app.focused() != before {
                switches += 1;
            }
            steps += 1;
            let found = violations.lock().unwrap().clone();
            assert!(
                found.is_empty(),
                "seed {seed}, step {steps} ({step:?}): {found:#?}"
            );
        }
        // The user lets go of everything: no guest may think a key is still down.
        for index in std::mem::take(&mut held) {
            world.key_up(key_text(index));
        }
        world.settle();
        for vm in world.app.vms() {
            let held = world.sim().keys_held(&vm.id);
            assert!(
                held.is_empty(),
                "seed {seed}: {} still holds {held:?}",
                vm.name
            );
        }
    }
    assert_eq!(steps, 3000);
    // The sequences really moved focus around; otherwise the checks above prove little.
    assert!(switches > 300, "only {switches} focus changes");
}
