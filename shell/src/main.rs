fn main() -> std::process::ExitCode {
    hearth::run()
}
