//! QEMU's machine protocol (QMP) on a Unix socket: JSON commands and replies, one per line,
//! with events in between. The appliance guest's screen, touch screen, keyboard and power
//! button are driven through it, as a person's hands would drive the device.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

/// The largest value of QEMU's absolute and multi-touch axes (`INPUT_EVENT_ABS_MAX`); the
/// guest sees 0..=ABS_MAX across the whole screen.
pub const ABS_MAX: u32 = 0x7fff;

pub struct Qmp {
    writer: UnixStream,
    reader: BufReader<UnixStream>,
}

impl Qmp {
    /// Connects, reads the greeting and leaves negotiation mode.
    pub fn connect(socket: &Path) -> std::io::Result<Qmp> {
        let stream = UnixStream::connect(socket)?;
        stream.set_read_timeout(Some(Duration::from_secs(60)))?;
        let mut qmp = Qmp {
            reader: BufReader::new(stream.try_clone()?),
            writer: stream,
        };
        let greeting = qmp.read_message()?;
        if greeting.get("QMP").is_none() {
            return Err(std::io::Error::other(format!(
                "not a QMP greeting: {greeting}"
            )));
        }
        qmp.execute("qmp_capabilities", json!({}))?;
        Ok(qmp)
    }

    /// Runs a command and returns its `return` value; a QMP error is an error.
    pub fn execute(&mut self, command: &str, arguments: Value) -> std::io::Result<Value> {
        let request = json!({ "execute": command, "arguments": arguments });
        writeln!(self.writer, "{request}")?;
        loop {
            let message = self.read_message()?;
            if message.get("event").is_some() {
                continue;
            }
            if let Some(error) = message.get("error") {
                return Err(std::io::Error::other(format!("QMP {command}: {error}")));
            }
            return Ok(message.get("return").cloned().unwrap_or(Value::Null));
        }
    }

    fn read_message(&mut self) -> std::io::Result<Value> {
        let mut line = String::new();
        if self.reader.read_line(&mut line)? == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "QEMU closed its QMP socket",
            ));
        }
        serde_json::from_str(&line).map_err(std::io::Error::other)
    }

    /// Saves the guest's screen (its first console) as a PNG file.
    pub fn screendump(&mut self, path: &Path) -> std::io::Result<()> {
        self.execute(
            "screendump",
            json!({ "filename": path.to_string_lossy(), "format": "png" }),
        )
        .map(drop)
    }

    /// The guest's screen as RGB bytes, row by row, with its width and height: a PPM
    /// screendump to `path` (uncompressed, so it can be taken many times a second).
    pub fn screendump_rgb(&mut self, path: &Path) -> std::io::Result<(usize, usize, Vec<u8>)> {
        self.execute(
            "screendump",
            json!({ "filename": path.to_string_lossy(), "format": "ppm" }),
        )?;
        parse_ppm(&std::fs::read(path)?)
    }

    /// Sends input events as one batch, which the guest's kernel ends with one SYN_REPORT.
    pub fn send_input(&mut self, events: Vec<Value>) -> std::io::Result<()> {
        self.execute("input-send-event", json!({ "events": events }))
            .map(drop)
    }
}

/// A key going down or up, by QEMU's key name ("ctrl", "alt", "right", "a", "ret"…).
pub fn key_event(qcode: &str, down: bool) -> Value {
    json!({ "type": "key", "data": { "down": down, "key": { "type": "qcode", "data": qcode } } })
}

/// A finger in `slot` touching down (with `tracking_id`) at the absolute point (x, y).
pub fn finger_down(slot: u32, tracking_id: u32, x: u32, y: u32) -> Vec<Value> {
    vec![
        touch("begin", slot, i64::from(tracking_id), "x", x),
        touch("data", slot, i64::from(tracking_id), "x", x),
        touch("data", slot, i64::from(tracking_id), "y", y),
    ]
}

/// The finger in `slot` moving to the absolute point (x, y).
pub fn finger_move(slot: u32, tracking_id: u32, x: u32, y: u32) -> Vec<Value> {
    vec![
        touch("update", slot, i64::from(tracking_id), "x", x),
        touch("data", slot, i64::from(tracking_id), "x", x),
        touch("data", slot, i64::from(tracking_id), "y", y),
    ]
}

/// The finger in `slot` lifting.
pub fn finger_up(slot: u32) -> Vec<Value> {
    vec![touch("end", slot, -1, "x", 0)]
}

fn touch(kind: &str, slot: u32, tracking_id: i64, axis: &str, value: u32) -> Value {
    json!({
        "type": "mtt",
        "data": {
            "type": kind,
            "slot": slot,
            "tracking-id": tracking_id,
            "axis": axis,
            "value": value,
        }
    })
}

/// A binary PPM (P6) with 8-bit channels, as QEMU writes it: "P6\n<w> <h>\n255\n" and the
/// pixels.
fn parse_ppm(bytes: &[u8]) -> std::io::Result<(usize, usize, Vec<u8>)> {
    let bad = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned());
    let mut fields = Vec::new();
    let mut at = 0;
    while fields.len() < 4 {
        while bytes.get(at).is_some_and(u8::is_ascii_whitespace) {
            at += 1;
        }
        let start = at;
        while bytes.get(at).is_some_and(|b| !b.is_ascii_whitespace()) {
            at += 1;
        }
        if start == at {
            return Err(bad("a PPM header cut short"));
        }
        fields.push(String::from_utf8_lossy(&bytes[start..at]).into_owned());
    }
    let number = |text: &str| text.parse::<usize>().map_err(|_| bad("a PPM size"));
    let (width, height) = (number(&fields[1])?, number(&fields[2])?);
    if fields[0] != "P6" || fields[3] != "255" {
        return Err(bad("not an 8-bit binary PPM"));
    }
    let pixels = bytes.get(at + 1..).unwrap_or_default();
    if pixels.len() != width * height * 3 {
        return Err(bad("a PPM whose pixels do not match its size"));
    }
    Ok((width, height, pixels.to_vec()))
}

#[cfg(test)]
mod tests {
    use super::parse_ppm;

    #[test]
    fn a_ppm_is_read_and_a_short_one_refused() {
        let mut ppm = b"P6\n2 1\n255\n".to_vec();
        ppm.extend([1, 2, 3, 4, 5, 6]);
        assert_eq!(parse_ppm(&ppm).unwrap(), (2, 1, vec![1, 2, 3, 4, 5, 6]));
        assert!(parse_ppm(&ppm[..ppm.len() - 1]).is_err());
        assert!(parse_ppm(b"P6\n2").is_err());
    }
}
