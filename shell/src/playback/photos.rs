//! The photo viewer: the photos of the list a photo was tapped in, one full-screen at a time,
//! decoded by the media helper (never in Hearth's process) at the screen's size, upright as
//! their EXIF orientation says. The current photo and its neighbours are kept decoded, so a
//! swipe shows the next one at once; the thumbnail stands in while a photo decodes.
//!
//! Two-finger zoom comes from Hearth's touch router ([`PhotoViewer::touch`]), which sees
//! every finger first, on winit and on LinuxKMS alike.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::Sender;
use std::time::Duration;

use hearth_media::MediaKind;
use hearth_media::helper::protocol::{Reply, Request, ViewRequest};
use hearth_media::helper::{Helper, HelperLimits, helper_binary, read_view_file, view_file};
use hearth_ui::i18n::{Arg, Translator};
use hearth_ui::{AppAdapter, AppWindow, PhotoAdapter, Screen};
use slint::{ComponentHandle, Image, Rgb8Pixel, SharedPixelBuffer};

use super::QueueItem;
use crate::gestures::{Phase, Touch};

/// A decoded photo, or why it could not be.
pub struct Loaded {
    pub path: PathBuf,
    pub picture: Result<SharedPixelBuffer<Rgb8Pixel>, String>,
}

/// Hands a decoded photo to the UI thread.
pub type LoadedSink = Arc<dyn Fn(Loaded) + Send + Sync>;

const SLIDESHOW_INTERVAL: Duration = Duration::from_secs(5);
const MAX_ZOOM: f32 = 5.0;

/// Two fingers on the photo: where they started, and the zoom and pan then.
#[derive(Clone, Copy)]
struct Pinch {
    distance: f32,
    center: (f32, f32),
    zoom: f32,
    pan: (f32, f32),
}

pub struct PhotoViewer {
    window: slint::Weak<AppWindow>,
    translator: RefCell<Translator>,
    photos: RefCell<Vec<QueueItem>>,
    index: Cell<usize>,
    pictures: RefCell<HashMap<PathBuf, Result<Image, String>>>,
    requested: RefCell<Vec<PathBuf>>,
    loader: Sender<(PathBuf, usize, u32)>,
    opened_from: Cell<Screen>,
    slideshow: slint::Timer,
    fingers: RefCell<BTreeMap<i32, (f32, f32)>>,
    pinch: Cell<Option<Pinch>>,
}

impl PhotoViewer {
    pub fn new(
        window: &AppWindow,
        language: &str,
        folder: PathBuf,
        sink: LoadedSink,
    ) -> std::rc::Rc<PhotoViewer> {
        let loader = start_loader(folder, sink);
        let viewer = std::rc::Rc::new(PhotoViewer {
            window: window.as_weak(),
            translator: RefCell::new(Translator::new(language)),
            photos: RefCell::new(Vec::new()),
            index: Cell::new(0),
            pictures: RefCell::new(HashMap::new()),
            requested: RefCell::new(Vec::new()),
            loader,
            opened_from: Cell::new(Screen::Media),
            slideshow: slint::Timer::default(),
            fingers: RefCell::new(BTreeMap::new()),
            pinch: Cell::new(None),
        });
        let adapter = window.global::<PhotoAdapter>();
        let weak = std::rc::Rc::downgrade(&viewer);
        let with = move |f: fn(&std::rc::Rc<PhotoViewer>)| {
            let weak = weak.clone();
            move || {
                if let Some(viewer) = weak.upgrade() {
                    f(&viewer);
                }
            }
        };
        adapter.on_next(with(|v| v.step(1)));
        adapter.on_previous(with(|v| v.step(-1)));
        adapter.on_close(with(|v| v.close()));
        adapter.on_toggle_slideshow(with(|v| v.toggle_slideshow()));
        viewer
    }

    fn with_adapter(&self, f: impl FnOnce(&PhotoAdapter<'_>)) {
        if let Some(window) = self.window.upgrade() {
            f(&window.global::<PhotoAdapter>());
        }
    }

    /// Shows `photos[start]` full-screen.
    pub fn open(&self, photos: Vec<QueueItem>, start: usize) {
        if photos.is_empty() {
            return;
        }
        if let Some(window) = self.window.upgrade() {
            let screen = window.global::<AppAdapter>().get_screen();
            if screen != Screen::Photo {
                self.opened_from.set(screen);
            }
            window.global::<AppAdapter>().set_screen(Screen::Photo);
        }
        self.index.set(start.min(photos.len() - 1));
        *self.photos.borrow_mut() = photos;
        self.pictures.borrow_mut().clear();
        self.requested.borrow_mut().clear();
        self.show();
    }

    pub fn close(&self) {
        self.slideshow.stop();
        self.with_adapter(|adapter| adapter.set_slideshow(false));
        self.photos.borrow_mut().clear();
        self.pictures.borrow_mut().clear();
        self.with_adapter(|adapter| {
            adapter.set_picture(Image::default());
            adapter.set_has_picture(false);
        });
        if let Some(window) = self.window.upgrade() {
            window
                .global::<AppAdapter>()
                .set_screen(self.opened_from.get());
        }
    }

    pub fn set_language(&self, code: &str) {
        *self.translator.borrow_mut() = Translator::new(code);
        if !self.photos.borrow().is_empty() {
            self.show();
        }
    }

    /// The next (1) or previous (-1) photo, wrapping around.
    pub fn step(&self, by: isize) {
        let count = self.photos.borrow().len();
        if count == 0 {
            return;
        }
        let index = (self.index.get() as isize + by).rem_euclid(count as isize) as usize;
        self.index.set(index);
        self.show();
    }

    fn toggle_slideshow(self: &std::rc::Rc<Self>) {
        if self.slideshow.running() {
            self.slideshow.stop();
        } else {
            let weak = std::rc::Rc::downgrade(self);
            self.slideshow
                .start(slint::TimerMode::Repeated, SLIDESHOW_INTERVAL, move || {
                    if let Some(viewer) = weak.upgrade() {
                        viewer.step(1);
                    }
                });
        }
        let running = self.slideshow.running();
        self.with_adapter(|adapter| adapter.set_slideshow(running));
    }

    /// A photo the helper decoded (or could not).
    pub fn loaded(&self, loaded: Loaded) {
        self.requested
            .borrow_mut()
            .retain(|path| *path != loaded.path);
        let wanted = self
            .photos
            .borrow()
            .iter()
            .any(|item| item.path == loaded.path);
        if !wanted {
            return;
        }
        let picture = loaded.picture.map(Image::from_rgb8);
        self.pictures.borrow_mut().insert(loaded.path, picture);
        self.show();
    }

    /// Puts the current photo on screen and asks for it and its neighbours.
    fn show(&self) {
        let photos = self.photos.borrow();
        let count = photos.len();
        let index = self.index.get();
        let Some(item) = photos.get(index) else {
            return;
        };
        let near: Vec<usize> = [index, (index + 1) % count, (index + count - 1) % count]
            .into_iter()
            .collect();
        let keep: Vec<PathBuf> = near.iter().map(|&i| photos[i].path.clone()).collect();
        self.pictures
            .borrow_mut()
            .retain(|path, _| keep.contains(path));
        for (slot, &i) in near.iter().enumerate() {
            let path = &photos[i].path;
            let have = self.pictures.borrow().contains_key(path);
            let asked = self.requested.borrow().contains(path);
            if !have && !asked {
                self.requested.borrow_mut().push(path.clone());
                let _ = self
                    .loader
                    .send((path.clone(), slot + 3 * (i % 2), self.longest_side()));
            }
        }
        let translator = self.translator.borrow();
        let shown = self.pictures.borrow().get(&item.path).cloned();
        let (picture, error) = match shown {
            Some(Ok(image)) => (Some(image), String::new()),
            Some(Err(reason)) => (
                None,
                translator.tr_args("photo-error", &[("reason", Arg::Text(&reason))]),
            ),
            // The thumbnail stands in until the photo is decoded.
            None => (
                item.cover
                    .as_deref()
                    .and_then(crate::media::decode_thumbnail)
                    .map(Image::from_rgb8),
                String::new(),
            ),
        };
        self.with_adapter(|adapter| {
            adapter.set_title(item.title.as_str().into());
            adapter.set_subtitle(item.subtitle.as_str().into());
            adapter.set_counter(format!("{} / {count}", index + 1).into());
            adapter.set_error(error.into());
            adapter.set_has_picture(picture.is_some());
            adapter.set_picture(picture.unwrap_or_default());
            adapter.set_zoom(1.0);
            adapter.set_pan_x(0.0);
            adapter.set_pan_y(0.0);
        });
    }

    /// The longer side of the screen in physical pixels: what photos are decoded to.
    fn longest_side(&self) -> u32 {
        self.window
            .upgrade()
            .map(|window| {
                let size = window.window().size();
                size.width.max(size.height)
            })
            .unwrap_or(1920)
            .clamp(640, 4096)
    }

    /// A finger on the photo screen, seen by Hearth's touch router: two fingers zoom about
    /// their midpoint. Returns whether a pinch is under way (single fingers stay the UI's).
    pub fn touch(&self, touch: Touch) -> bool {
        {
            let mut fingers = self.fingers.borrow_mut();
            match touch.phase {
                Phase::Down | Phase::Move => {
                    fingers.insert(touch.id, (touch.x, touch.y));
                }
                Phase::Up | Phase::Cancel => {
                    fingers.remove(&touch.id);
                }
            }
        }
        let fingers: Vec<(f32, f32)> = self.fingers.borrow().values().take(2).copied().collect();
        let Some(window) = self.window.upgrade() else {
            return false;
        };
        let adapter = window.global::<PhotoAdapter>();
        if fingers.len() < 2 {
            // The pinch ends, but the photo stays still until the last finger lifts, so the
            // finger left behind neither pans nor swipes to another photo.
            self.pinch.set(None);
            if fingers.is_empty() {
                adapter.set_pinching(false);
            }
            return false;
        }
        let (a, b) = (fingers[0], fingers[1]);
        let distance = ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt().max(1.0);
        let center = ((a.0 + b.0) / 2.0, (a.1 + b.1) / 2.0);
        let Some(start) = self.pinch.get() else {
            self.pinch.set(Some(Pinch {
                distance,
                center,
                zoom: adapter.get_zoom(),
                pan: (adapter.get_pan_x(), adapter.get_pan_y()),
            }));
            adapter.set_pinching(true);
            return true;
        };
        let zoom = (start.zoom * distance / start.distance).clamp(1.0, MAX_ZOOM);
        let size = window
            .window()
            .size()
            .to_logical(window.window().scale_factor());
        let (max_x, max_y) = (
            size.width * (zoom - 1.0) / 2.0,
            size.height * (zoom - 1.0) / 2.0,
        );
        // The point between the fingers stays under them as the photo grows.
        let grow = zoom / start.zoom;
        let pan_x = (start.pan.0 - (start.center.0 - size.width / 2.0)) * grow
            + (center.0 - size.width / 2.0);
        let pan_y = (start.pan.1 - (start.center.1 - size.height / 2.0)) * grow
            + (center.1 - size.height / 2.0);
        adapter.set_zoom(zoom);
        adapter.set_pan_x(pan_x.clamp(-max_x, max_x));
        adapter.set_pan_y(pan_y.clamp(-max_y, max_y));
        true
    }
}

/// The thread that has the helper decode photos for the viewer, one at a time.
fn start_loader(folder: PathBuf, sink: LoadedSink) -> Sender<(PathBuf, usize, u32)> {
    let (sender, receiver) = std::sync::mpsc::channel::<(PathBuf, usize, u32)>();
    let spawned = std::thread::Builder::new()
        .name("hearth-photos".into())
        .spawn(move || {
            // A viewer turns pages for a while: its helper stays half a minute between them.
            let limits = HelperLimits {
                idle: std::time::Duration::from_secs(30),
                ..HelperLimits::default()
            };
            let mut helper = Helper::new(helper_binary(), limits);
            while let Ok((path, slot, longest_side)) = receiver.recv() {
                let file = view_file(&folder, slot);
                let request = Request {
                    path: path.as_os_str().as_encoded_bytes().to_vec(),
                    kind: MediaKind::Photo,
                    mtime: 0,
                    thumbnail: None,
                    view: Some(ViewRequest {
                        longest_side,
                        file: file.as_os_str().as_encoded_bytes().to_vec(),
                    }),
                };
                let picture = match helper.read(&request) {
                    Ok(Reply::Read { .. }) => read_view_file(&file)
                        .map_err(|error| error.to_string())
                        .map(|(width, height, rgb)| {
                            let _ = std::fs::remove_file(&file);
                            SharedPixelBuffer::clone_from_slice(&rgb, width, height)
                        }),
                    Ok(Reply::Failed { reason }) => Err(reason),
                    Err(unavailable) => Err(unavailable.0),
                };
                sink(Loaded { path, picture });
            }
        });
    if let Err(error) = spawned {
        tracing::warn!(%error, "the photo viewer cannot decode photos");
    }
    sender
}
