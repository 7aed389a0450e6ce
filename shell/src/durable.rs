//! Small files that must come through a crash or a power cut whole: written aside, flushed
//! to the disk, renamed into place, and the rename flushed too. A reader finds the old file
//! or the new one, never an empty or half-written one.

use std::io::Write;
use std::path::Path;

/// Replaces the file at `path` with `bytes`, making its folder if needed.
pub fn write_whole(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut partial_name = path.file_name().unwrap_or_default().to_os_string();
    partial_name.push(".partial");
    let partial = dir.join(partial_name);
    let mut file = std::fs::File::create(&partial)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&partial, path)?;
    // The rename itself is on the disk once the folder is.
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::write_whole;

    #[test]
    fn a_file_is_replaced_whole_and_nothing_is_left_beside_it() {
        let dir = std::env::temp_dir().join(format!("hearth-durable-{}", std::process::id()));
        let path = dir.join("deeper").join("state.json");
        write_whole(&path, b"first").expect("the first write");
        write_whole(&path, b"second").expect("the second write");
        assert_eq!(std::fs::read(&path).expect("read"), b"second");
        let names: Vec<_> = std::fs::read_dir(path.parent().expect("folder"))
            .expect("list")
            .filter_map(Result::ok)
            .map(|entry| entry.file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("state.json")]);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
