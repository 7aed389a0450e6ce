//! Video on the software renderer under X11: with nothing over it, the X server puts each
//! frame on screen straight from the player process's shared memory (Hearth neither copies
//! nor draws it); a tap brings the controls, and Slint draws the video under them again; when
//! they go, the X server takes over again. The picture has the video's colours either way, at
//! the same place.

use std::time::{Duration, Instant};

use hearth_media::samples::encode;
use hearth_tests::playback::{hearth_with_mpris, playerctl};
use hearth_tests::services::{PrivateBus, TempDir};
use hearth_tests::xvfb::{Running, Xvfb, hearth_binary};

const WAIT: Duration = Duration::from_secs(30);
const DIRECT: &str = "video: the X server puts the frames on screen";
const DRAWN: &str = "video: Slint draws the frames";

/// The colour at (x, y) of the screen.
fn colour_at(xvfb: &Xvfb, x: usize, y: usize) -> (u8, u8, u8) {
    let (width, _, pixels) = xvfb.screenshot();
    let at = (y * width as usize + x) * 3;
    (pixels[at], pixels[at + 1], pixels[at + 2])
}

fn is_blue((r, g, b): (u8, u8, u8)) -> bool {
    r.abs_diff(0x33) <= 8 && g.abs_diff(0x66) <= 8 && b.abs_diff(0xcc) <= 8
}

/// Waits until Hearth has logged `text` `times` times.
fn wait_for_count(hearth: &mut Running, text: &str, times: usize) {
    let since = Instant::now();
    loop {
        let log = hearth.log();
        if log.matches(text).count() >= times {
            return;
        }
        assert!(
            since.elapsed() < WAIT,
            "{text:?} not logged {times} times:\n{log}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_bare_video_goes_to_the_x_server_and_back_under_the_controls() {
    let dir = TempDir::new("video-direct");
    // The screen's width: shown as decoded, 1280x720 between two bars.
    let clip = dir.path().join("Wide.mp4");
    encode(
        "videotestsrc pattern=solid-color foreground-color=0xff3366cc num-buffers=500 ! video/x-raw,format=I420,width=1280,height=720,framerate=25/1 ! x264enc speed-preset=ultrafast ! h264parse ! mp4mux ! filesink name=out",
        &clip,
    )
    .expect("encoding the video");
    let bus = PrivateBus::start();
    let xvfb = Xvfb::start();
    let mut hearth = hearth_with_mpris(
        &hearth_binary(),
        &bus,
        &xvfb,
        &dir,
        &["--renderer", "software"],
    );
    let uri = format!("file://{}", clip.display());
    let (opened, _, errors) = playerctl(&bus, &["open", &uri]);
    assert!(opened, "playerctl open: {errors}");

    // The controls go after 3 s; the frames then go to the X server.
    wait_for_count(&mut hearth, DIRECT, 1);
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        is_blue(colour_at(&xvfb, 640, 400)),
        "the middle of the screen: {:?}",
        colour_at(&xvfb, 640, 400)
    );
    // The video's top and bottom rows, and black bars above and below it.
    assert!(
        is_blue(colour_at(&xvfb, 20, 42)),
        "{:?}",
        colour_at(&xvfb, 20, 42)
    );
    assert!(
        is_blue(colour_at(&xvfb, 1260, 757)),
        "{:?}",
        colour_at(&xvfb, 1260, 757)
    );
    assert_eq!(colour_at(&xvfb, 640, 20), (0, 0, 0));
    assert_eq!(colour_at(&xvfb, 640, 780), (0, 0, 0));

    // A tap on the video: the controls, over the video Slint draws again.
    xvfb.click(300, 400);
    wait_for_count(&mut hearth, DRAWN, 1);
    std::thread::sleep(Duration::from_millis(500));
    let (_, _, pixels) = xvfb.screenshot();
    let bottom_blue = (650..760)
        .flat_map(|y| (0..1280).map(move |x| (x, y)))
        .filter(|(x, y)| {
            let at = (y * 1280 + x) * 3;
            is_blue((pixels[at], pixels[at + 1], pixels[at + 2]))
        })
        .count();
    assert!(
        bottom_blue < 110 * 1280 * 9 / 10,
        "no controls over the bottom of the video ({bottom_blue} blue pixels)"
    );
    assert!(
        is_blue(colour_at(&xvfb, 640, 300)),
        "{:?}",
        colour_at(&xvfb, 640, 300)
    );

    // Left alone, the controls go and the X server takes the frames again.
    wait_for_count(&mut hearth, DIRECT, 2);
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        is_blue(colour_at(&xvfb, 640, 700)),
        "{:?}",
        colour_at(&xvfb, 640, 700)
    );

    // Paused, the controls show over the frame Slint draws; the X server's window is gone.
    assert!(playerctl(&bus, &["pause"]).0);
    wait_for_count(&mut hearth, DRAWN, 2);
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        is_blue(colour_at(&xvfb, 640, 300)),
        "{:?}",
        colour_at(&xvfb, 640, 300)
    );
}
