//! `hearth-image`: publish signed image versions into a static store, check a store, and
//! fetch from one as a device does.

fn main() -> std::process::ExitCode {
    hearth_images::cli::main()
}
