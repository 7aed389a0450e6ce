//! How a player process ended on a file, as data: the shell words it in the user's language,
//! the log and the library's index in English ([`std::fmt::Display`]).

use std::os::unix::process::ExitStatusExt;

use serde::{Deserialize, Serialize};

/// Why the player process stopped on a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProcessEnd {
    /// It needed more memory than its limit, in MiB.
    OutOfMemory(u64),
    /// A signal ended it: its decoder crashed.
    Crashed(Crash),
    /// It stopped answering and was killed after this many seconds.
    Stalled(u64),
    /// It quit by itself, with this exit code.
    Quit(Option<i32>),
    /// How it ended could not be learned.
    Lost,
}

/// The signal that ended a crashed player process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Crash {
    SegmentationFault,
    BusError,
    Aborted,
    IllegalInstruction,
    ArithmeticError,
    Killed,
    Signal(i32),
}

impl ProcessEnd {
    /// From the child's exit status and the end of what it wrote to stderr.
    pub(crate) fn from_exit(
        status: Option<std::process::ExitStatus>,
        stderr_tail: &str,
        memory_mib: u64,
    ) -> ProcessEnd {
        if crate::helper::out_of_memory(stderr_tail) {
            return ProcessEnd::OutOfMemory(memory_mib);
        }
        match status {
            Some(status) => match status.signal() {
                Some(signal) => ProcessEnd::Crashed(Crash::from_signal(signal)),
                None => ProcessEnd::Quit(status.code()),
            },
            None => ProcessEnd::Lost,
        }
    }
}

impl Crash {
    fn from_signal(signal: i32) -> Crash {
        match signal {
            libc::SIGSEGV => Crash::SegmentationFault,
            libc::SIGBUS => Crash::BusError,
            libc::SIGABRT => Crash::Aborted,
            libc::SIGILL => Crash::IllegalInstruction,
            libc::SIGFPE => Crash::ArithmeticError,
            libc::SIGKILL => Crash::Killed,
            other => Crash::Signal(other),
        }
    }
}

impl std::fmt::Display for ProcessEnd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProcessEnd::OutOfMemory(mib) => {
                write!(f, "it needed more than the player's {mib} MiB of memory")
            }
            ProcessEnd::Crashed(crash) => write!(f, "its decoder crashed ({crash})"),
            ProcessEnd::Stalled(seconds) => {
                write!(f, "it stopped responding and was stopped after {seconds} s")
            }
            ProcessEnd::Quit(Some(code)) => write!(f, "the player quit (exit code {code})"),
            ProcessEnd::Quit(None) => write!(f, "the player quit"),
            ProcessEnd::Lost => write!(f, "the player was lost"),
        }
    }
}

impl std::fmt::Display for Crash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Crash::SegmentationFault => write!(f, "a segmentation fault"),
            Crash::BusError => write!(f, "a bus error"),
            Crash::Aborted => write!(f, "it aborted"),
            Crash::IllegalInstruction => write!(f, "an illegal instruction"),
            Crash::ArithmeticError => write!(f, "an arithmetic error"),
            Crash::Killed => write!(f, "it was killed"),
            Crash::Signal(number) => write!(f, "signal {number}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::ExitStatusExt;

    #[test]
    fn an_end_is_read_from_the_status_and_the_log() {
        let segfault = std::process::ExitStatus::from_raw(libc::SIGSEGV);
        assert_eq!(
            ProcessEnd::from_exit(Some(segfault), "", 2048),
            ProcessEnd::Crashed(Crash::SegmentationFault)
        );
        assert_eq!(
            ProcessEnd::from_exit(Some(segfault), "memory allocation of 5 bytes failed", 768)
                .to_string(),
            "it needed more than the player's 768 MiB of memory"
        );
        let quit = std::process::ExitStatus::from_raw(3 << 8);
        assert_eq!(
            ProcessEnd::from_exit(Some(quit), "", 1),
            ProcessEnd::Quit(Some(3))
        );
        assert_eq!(
            ProcessEnd::Crashed(Crash::SegmentationFault).to_string(),
            "its decoder crashed (a segmentation fault)"
        );
    }
}
