//! Compiles the Slint UI. Debug info is kept so tests can find elements by accessible label.

fn main() {
    let config = slint_build::CompilerConfiguration::new().with_debug_info(true);
    if let Err(error) = slint_build::compile_with_config("ui/main.slint", config) {
        eprintln!("compiling ui/main.slint failed: {error}");
        std::process::exit(1);
    }
}
