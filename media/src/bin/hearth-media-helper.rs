//! Hearth's media helper: reads metadata and makes thumbnails for Hearth, one file at a time,
//! under a memory limit. Hearth starts it; it is not meant to be run by hand.

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut memory_mib = 768;
    let mut arguments = std::env::args().skip(1);
    while let Some(argument) = arguments.next() {
        match (
            argument.as_str(),
            arguments.next().map(|value| value.parse()),
        ) {
            ("--memory-mib", Some(Ok(value))) => memory_mib = value,
            ("--make-samples", _) => {
                // The folder is the argument right after the flag.
                return make_samples(std::env::args_os().nth(2));
            }
            _ => {
                eprintln!(
                    "usage: hearth-media-helper [--memory-mib N] | --make-samples FOLDER (started by Hearth)"
                );
                return ExitCode::from(2);
            }
        }
    }
    match hearth_media::helper::child::run(memory_mib) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("hearth-media-helper: {error}");
            ExitCode::FAILURE
        }
    }
}

fn make_samples(folder: Option<std::ffi::OsString>) -> ExitCode {
    let Some(folder) = folder else {
        eprintln!("hearth-media-helper: --make-samples needs a folder");
        return ExitCode::from(2);
    };
    match hearth_media::samples::make_samples(std::path::Path::new(&folder)) {
        Ok(files) => {
            for file in files {
                println!("{}", file.display());
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("hearth-media-helper: {error}");
            ExitCode::FAILURE
        }
    }
}
