//! Hearth's media helper: reads metadata and makes thumbnails for Hearth, one file at a time,
//! under a memory limit. Hearth starts it; it is not meant to be run by hand.

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut memory_mib = 768;
    let mut idle = None;
    let mut player = false;
    // Arguments as the OS gives them: a folder's name need not be UTF-8.
    let mut arguments = std::env::args_os().skip(1).peekable();
    if arguments.peek().is_some_and(|first| first == "--player") {
        arguments.next();
        player = true;
    }
    while let Some(argument) = arguments.next() {
        let value = arguments.next();
        let number = value
            .as_ref()
            .and_then(|value| value.to_str())
            .map(str::parse::<u64>);
        match (argument.to_str().unwrap_or(""), number) {
            ("--memory-mib", Some(Ok(number))) => memory_mib = number,
            ("--idle-exit-ms", Some(Ok(number))) => {
                idle = Some(std::time::Duration::from_millis(number));
            }
            ("--make-samples", _) => return make_samples(value),
            _ => {
                eprintln!(
                    "usage: hearth-media-helper [--player] [--memory-mib N] [--idle-exit-ms N] | --make-samples FOLDER (started by Hearth)"
                );
                return ExitCode::from(2);
            }
        }
    }
    let served = if player {
        hearth_media::player::serve::serve(memory_mib)
    } else {
        hearth_media::helper::child::run(memory_mib, idle)
    };
    match served {
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
