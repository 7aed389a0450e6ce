//! A Slint platform with no display: one software-rendered window whose pixels can be read,
//! a clock that is either real or moved by hand, and an event loop pumped on demand. Used for
//! screenshots, UI tests and benchmarks, and by `hearth --headless`.

use std::cell::Cell;
use std::collections::VecDeque;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use slint::platform::software_renderer::{MinimalSoftwareWindow, RepaintBufferType, Rgb565Pixel};
use slint::platform::{Platform, PlatformError, WindowAdapter};
use slint::{PhysicalSize, Rgb8Pixel, SharedPixelBuffer};

type Job = Box<dyn FnOnce() + Send>;

#[derive(Clone)]
enum Clock {
    Real(Instant),
    Manual(Rc<Cell<Duration>>),
}

struct HeadlessPlatform {
    window: Rc<MinimalSoftwareWindow>,
    clock: Clock,
}

impl Platform for HeadlessPlatform {
    fn create_window_adapter(&self) -> Result<Rc<dyn WindowAdapter>, PlatformError> {
        Ok(self.window.clone())
    }

    fn duration_since_start(&self) -> Duration {
        match &self.clock {
            Clock::Real(start) => start.elapsed(),
            Clock::Manual(now) => now.get(),
        }
    }

    // No proxy: Slint keeps one proxy per process, and every test thread has a platform of
    // its own. Hearth's app is woken through [`Headless::waker`] instead.
}

/// The headless window of this thread. Create it before any Slint component.
pub struct Headless {
    window: Rc<MinimalSoftwareWindow>,
    clock: Clock,
    jobs: Arc<Mutex<VecDeque<Job>>>,
}

impl Headless {
    /// Installs the platform on this thread. `manual_clock` makes time stand still until
    /// [`Headless::advance`] moves it.
    pub fn install(manual_clock: bool) -> Result<Headless, PlatformError> {
        let window = MinimalSoftwareWindow::new(RepaintBufferType::NewBuffer);
        let clock = if manual_clock {
            Clock::Manual(Rc::new(Cell::new(Duration::ZERO)))
        } else {
            Clock::Real(Instant::now())
        };
        let jobs = Arc::new(Mutex::new(VecDeque::new()));
        slint::platform::set_platform(Box::new(HeadlessPlatform {
            window: window.clone(),
            clock: clock.clone(),
        }))
        .map_err(|error| {
            PlatformError::Other(format!("installing the headless platform: {error}"))
        })?;
        Ok(Headless {
            window,
            clock,
            jobs,
        })
    }

    /// A waker for [`crate::App::set_waker`] that queues the app's work for [`Headless::pump`].
    pub fn waker(&self) -> crate::app::Waker {
        let jobs = self.jobs.clone();
        Arc::new(move || {
            jobs.lock()
                .unwrap_or_else(|p| p.into_inner())
                .push_back(Box::new(crate::App::drain_pending));
        })
    }

    pub fn window(&self) -> &Rc<MinimalSoftwareWindow> {
        &self.window
    }

    pub fn set_size(&self, width: u32, height: u32) {
        self.window.set_size(PhysicalSize::new(width, height));
    }

    /// Runs what other threads queued for the UI thread, then due timers and animations.
    pub fn pump(&self) {
        loop {
            let job = self
                .jobs
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .pop_front();
            match job {
                Some(job) => job(),
                None => break,
            }
        }
        slint::platform::update_timers_and_animations();
    }

    /// Moves a manual clock forward in steps of at most `step`, pumping after each, so
    /// timers fire in order. With a real clock it sleeps instead.
    pub fn advance(&self, by: Duration) {
        let step = Duration::from_millis(4);
        let mut left = by;
        while !left.is_zero() {
            let now = left.min(step);
            match &self.clock {
                Clock::Manual(clock) => clock.set(clock.get() + now),
                Clock::Real(_) => std::thread::sleep(now),
            }
            left -= now;
            self.pump();
        }
        self.pump();
    }

    /// Draws the window if anything changed; returns whether it drew.
    pub fn render_if_needed(&self, buffer: &mut Vec<Rgb565Pixel>) -> bool {
        let size = self.window.size();
        let pixels = size.width as usize * size.height as usize;
        if buffer.len() != pixels {
            buffer.resize(pixels, Rgb565Pixel::default());
        }
        self.window.draw_if_needed(|renderer| {
            renderer.render(buffer, size.width as usize);
        })
    }

    /// The window's pixels as they are now.
    pub fn snapshot(&self) -> Result<SharedPixelBuffer<Rgb8Pixel>, PlatformError> {
        use slint::platform::WindowAdapter as _;
        self.window.window().take_snapshot().map(|rgba| {
            let mut rgb = SharedPixelBuffer::<Rgb8Pixel>::new(rgba.width(), rgba.height());
            for (out, pixel) in rgb.make_mut_slice().iter_mut().zip(rgba.as_slice()) {
                *out = Rgb8Pixel {
                    r: pixel.r,
                    g: pixel.g,
                    b: pixel.b,
                };
            }
            rgb
        })
    }
}

/// Writes RGB pixels as a PNG file.
pub fn write_png(
    path: &std::path::Path,
    image: &SharedPixelBuffer<Rgb8Pixel>,
) -> std::io::Result<()> {
    let file = std::fs::File::create(path)?;
    let mut encoder =
        png::Encoder::new(std::io::BufWriter::new(file), image.width(), image.height());
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(std::io::Error::other)?;
    writer
        .write_image_data(image.as_bytes())
        .map_err(std::io::Error::other)?;
    writer.finish().map_err(std::io::Error::other)
}
