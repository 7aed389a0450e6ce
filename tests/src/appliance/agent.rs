//! The QEMU guest agent (qemu-guest-agent in the appliance guest) on a virtio serial port:
//! commands run as root inside the guest, with their exit status and output. The tests read
//! the guest's services, buses and logs through it, as an administrator's shell would.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Value, json};

/// What a command in the guest did.
#[derive(Debug, Clone)]
pub struct Output {
    pub code: i64,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn success(&self) -> bool {
        self.code == 0
    }
}

pub struct Agent {
    writer: UnixStream,
    reader: BufReader<UnixStream>,
}

impl Agent {
    /// Connects and synchronises: the agent may have seen half a request from an earlier
    /// client (it then answers with an error), or not run yet, so `guest-sync` is sent until
    /// its reply comes, and replies before it are passed over.
    pub fn connect(socket: &Path, timeout: Duration) -> std::io::Result<Agent> {
        let stream = UnixStream::connect(socket)?;
        stream.set_read_timeout(Some(Duration::from_secs(2)))?;
        let mut agent = Agent {
            reader: BufReader::new(stream.try_clone()?),
            writer: stream,
        };
        let started = Instant::now();
        loop {
            // A fresh id each time: a late reply to an earlier try is read and passed over.
            let id = fastrand::u64(1..u64::from(u32::MAX));
            writeln!(
                agent.writer,
                "{}",
                json!({ "execute": "guest-sync", "arguments": { "id": id } })
            )?;
            let deadline = Instant::now() + Duration::from_secs(3);
            while Instant::now() < deadline {
                match agent.read_reply() {
                    Ok(reply) if reply.get("return") == Some(&json!(id)) => {
                        agent
                            .reader
                            .get_ref()
                            .set_read_timeout(Some(Duration::from_secs(30)))?;
                        return Ok(agent);
                    }
                    Ok(_) => {}
                    Err(error)
                        if matches!(
                            error.kind(),
                            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                        ) =>
                    {
                        break;
                    }
                    Err(error) if error.kind() == std::io::ErrorKind::InvalidData => {}
                    Err(error) => return Err(error),
                }
            }
            if started.elapsed() > timeout {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "the guest agent did not answer",
                ));
            }
        }
    }

    fn read_reply(&mut self) -> std::io::Result<Value> {
        let mut line = Vec::new();
        if self.reader.read_until(b'\n', &mut line)? == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the guest agent's socket closed",
            ));
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_matches(|c: char| c == '\u{fffd}' || c.is_whitespace());
        serde_json::from_str(text)
            .map_err(|error| std::io::Error::new(std::io::ErrorKind::InvalidData, error))
    }

    fn execute(&mut self, command: &str, arguments: Value) -> std::io::Result<Value> {
        writeln!(
            self.writer,
            "{}",
            json!({ "execute": command, "arguments": arguments })
        )?;
        let reply = self.read_reply()?;
        if let Some(error) = reply.get("error") {
            return Err(std::io::Error::other(format!(
                "guest agent {command}: {error}"
            )));
        }
        Ok(reply.get("return").cloned().unwrap_or(Value::Null))
    }

    /// Runs `script` with /bin/sh in the guest, `input` on its standard input, and waits up
    /// to `timeout` for it to end.
    pub fn run(
        &mut self,
        script: &str,
        input: &[u8],
        timeout: Duration,
    ) -> std::io::Result<Output> {
        let mut arguments = json!({
            "path": "/bin/sh",
            "arg": ["-c", script],
            "capture-output": true,
        });
        if !input.is_empty() {
            arguments["input-data"] = json!(BASE64.encode(input));
        }
        let started = self.execute("guest-exec", arguments)?;
        let pid = started
            .get("pid")
            .and_then(Value::as_i64)
            .ok_or_else(|| std::io::Error::other(format!("guest-exec gave no pid: {started}")))?;
        let begun = Instant::now();
        loop {
            let status = self.execute("guest-exec-status", json!({ "pid": pid }))?;
            if status.get("exited") == Some(&json!(true)) {
                let text = |field: &str| {
                    status
                        .get(field)
                        .and_then(Value::as_str)
                        .and_then(|data| BASE64.decode(data).ok())
                        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
                        .unwrap_or_default()
                };
                let code = status
                    .get("exitcode")
                    .and_then(Value::as_i64)
                    .or_else(|| {
                        status
                            .get("signal")
                            .and_then(Value::as_i64)
                            .map(|s| 128 + s)
                    })
                    .unwrap_or(-1);
                return Ok(Output {
                    code,
                    stdout: text("out-data"),
                    stderr: text("err-data"),
                });
            }
            if begun.elapsed() > timeout {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("`{script}` did not end within {timeout:?} in the guest"),
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}
