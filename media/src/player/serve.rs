//! The player process's side (`hearth-media-helper --player`): the engine and GStreamer run
//! here, under an address-space limit, and answer Hearth over the socket it inherited as fd 3.
//! Frames go into the shared slots it inherited as fds 4 on, and are announced by where they
//! lie: for the CPU, scaled to the screen and converted to BGRx straight into the slot
//! (`convert.rs`); for a GPU, the decoder's I420 planes copied as they are.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::sync::{Arc, Mutex};

use super::convert::{Converter, fit};
use super::fds::inherited;
use super::slots::{SLOT_BYTES, SLOTS, Writable};
use super::wire::{FrameLayout, FromChild, ToChild};
use super::{
    Command, FrameFormat, FrameView, Local, PlayerEvent, Previewer, VideoFormat, VideoOutput,
};

/// The socket's fd in the player process.
pub(crate) const SOCKET_FD: i32 = 3;
/// The first slot's fd; the others follow.
pub(crate) const FIRST_SLOT_FD: i32 = 4;
/// The longest line Hearth may send (a queue of many long names).
const MAX_LINE: u64 = 16 << 20;

/// Which slots Hearth has handed back, and how frames go into them.
struct Slots {
    maps: Writable,
    free: [bool; SLOTS],
    dropped: u64,
    /// What Hearth asked for: BGRx for the CPU, I420 for a GPU.
    format: VideoFormat,
    /// Where the video is shown: BGRx frames are scaled to fit it.
    bound: Option<(u32, u32)>,
    converter: Converter,
}

/// Serves Hearth until it closes the socket. `memory_mib` limits the address space.
pub fn serve(memory_mib: u64) -> std::io::Result<()> {
    let bytes = memory_mib * 1024 * 1024;
    rlimit::setrlimit(rlimit::Resource::AS, bytes, bytes)?;
    rlimit::setrlimit(rlimit::Resource::CORE, 0, 0)?;
    // Hearth starts this process with the socket and the slots at these numbers.
    let socket = UnixStream::from(inherited(SOCKET_FD)?);
    let files = (0..SLOTS as i32)
        .map(|index| inherited(FIRST_SLOT_FD + index).map(File::from))
        .collect::<std::io::Result<Vec<_>>>()?;
    let mut slots = Slots {
        maps: Writable::new(files)?,
        free: [true; SLOTS],
        dropped: 0,
        format: VideoFormat::Bgrx,
        bound: None,
        converter: Converter::default(),
    };
    let writer = Arc::new(Mutex::new(socket.try_clone()?));
    let send: Arc<dyn Fn(&FromChild) + Send + Sync> = Arc::new(move |message| {
        let Ok(mut line) = serde_json::to_vec(message) else {
            return;
        };
        line.push(b'\n');
        // Hearth gone: the reading loop ends on its own.
        let _ = writer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .write_all(&line);
    });
    let mut lines = BufReader::new(socket);
    let Some(ToChild::Setup {
        audio,
        video_format,
    }) = read(&mut lines)?
    else {
        return Err(std::io::Error::other("Hearth did not say how to play"));
    };
    slots.format = video_format;
    let slots = Arc::new(Mutex::new(slots));
    let video = VideoOutput::default();
    {
        let send = send.clone();
        let slots = slots.clone();
        video.on_clear(Box::new(move || {
            lock(&slots).dropped = 0;
            send(&FromChild::Cleared);
        }));
    }
    let sink = {
        let send = send.clone();
        let video = video.clone();
        let slots = slots.clone();
        Arc::new(move |event| match event {
            PlayerEvent::Frame => hand_over(&video, &slots, &*send),
            event => send(&FromChild::Event(event)),
        })
    };
    let player = Local::start(audio, sink, video.clone());
    let mut previewer: Option<Previewer> = None;
    while let Some(message) = read(&mut lines)? {
        match message {
            // Frames are scaled here, as they go into the slots.
            ToChild::Command(Command::VideoBox(width, height)) => {
                lock(&slots).bound = (width > 0 && height > 0).then_some((width, height));
            }
            // Seek previews: a pipeline of their own, made on the first ask.
            ToChild::Command(Command::Preview(path, position)) => previewer
                .get_or_insert_with(|| {
                    let send = send.clone();
                    Previewer::new(Arc::new(move |frame| {
                        send(&FromChild::Event(PlayerEvent::Preview(frame)));
                    }))
                })
                .request(&path, position),
            ToChild::Command(command) => player.send(command),
            ToChild::Release(slot) => {
                if let Some(free) = lock(&slots).free.get_mut(slot) {
                    *free = true;
                }
            }
            ToChild::Ping(number) => {
                let send = send.clone();
                player.call(Box::new(move || send(&FromChild::Pong(number))));
            }
            ToChild::Setup { .. } => {}
        }
    }
    // Hearth closed the socket: a pipeline that will not stop is not waited for.
    player.send(Command::Quit);
    std::process::exit(0);
}

fn lock(slots: &Mutex<Slots>) -> std::sync::MutexGuard<'_, Slots> {
    slots.lock().unwrap_or_else(|p| p.into_inner())
}

/// The next message from Hearth; None when it closed the socket.
fn read(lines: &mut BufReader<UnixStream>) -> std::io::Result<Option<ToChild>> {
    loop {
        let mut line = Vec::new();
        let read = std::io::Read::take(&mut *lines, MAX_LINE).read_until(b'\n', &mut line)?;
        if read == 0 || line.last() != Some(&b'\n') {
            return Ok(None);
        }
        match serde_json::from_slice(&line) {
            Ok(message) => return Ok(Some(message)),
            Err(error) => eprintln!("hearth-media-helper: a message that cannot be read: {error}"),
        }
    }
}

/// Puts the newest frame into a free slot and tells Hearth where it is; with no slot free
/// (Hearth has not shown the last ones yet) the frame is dropped and counted.
fn hand_over(video: &VideoOutput, slots: &Mutex<Slots>, send: &dyn Fn(&FromChild)) {
    let late = video.stats().late;
    let layout = video.take_since(0, |frame| {
        let mut slots = lock(slots);
        let Some(slot) = slots.free.iter().position(|free| *free) else {
            slots.dropped += 1;
            return None;
        };
        let Slots {
            maps,
            format,
            bound,
            converter,
            ..
        } = &mut *slots;
        let target = &mut maps.maps[slot];
        let placed = match format {
            VideoFormat::Bgrx => {
                let size = fit(frame.width, frame.height, frame.pixel_aspect, *bound);
                converter
                    .convert(&frame, size, target)
                    .then(|| (size, FrameFormat::Bgrx, vec![(0, size.0 as usize * 4)]))
            }
            VideoFormat::I420 => copy_into(&frame, target)
                .map(|planes| ((frame.width, frame.height), frame.format, planes)),
        };
        let Some(((width, height), format, planes)) = placed else {
            slots.dropped += 1;
            return None;
        };
        slots.free[slot] = false;
        Some(FrameLayout {
            slot,
            width,
            height,
            format,
            planes,
            dropped: slots.dropped,
            late,
        })
    });
    if let Some((_, Some(layout))) = layout {
        send(&FromChild::Frame(layout));
    }
}

/// Copies a frame's planes one after another (each 64-byte aligned) with their strides;
/// None when they do not fit a slot.
fn copy_into(frame: &FrameView<'_>, slot: &mut [u8]) -> Option<Vec<(usize, usize)>> {
    let rows = |plane: usize| match (frame.format, plane) {
        (FrameFormat::I420 { .. }, 1 | 2) => frame.height.div_ceil(2) as usize,
        _ => frame.height as usize,
    };
    let mut planes = vec![(frame.data, frame.stride)];
    if let Some(chroma) = &frame.chroma {
        planes.extend(chroma.iter().map(|plane| (plane.data, plane.stride)));
    }
    let mut offset = 0;
    let mut placed = Vec::with_capacity(planes.len());
    for (index, (data, stride)) in planes.into_iter().enumerate() {
        let length = stride.checked_mul(rows(index))?;
        let end = offset + length;
        if end > SLOT_BYTES || data.len() < length {
            return None;
        }
        slot[offset..end].copy_from_slice(&data[..length]);
        placed.push((offset, stride));
        offset = end.next_multiple_of(64);
    }
    Some(placed)
}
