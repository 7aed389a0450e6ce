//! Hearth's Slint components and the Rust glue that fills them. No I/O happens here: the shell
//! hands in plain data and gets callbacks back.

pub mod i18n;
mod strings;

/// The code Slint generates from `ui/main.slint`.
#[allow(clippy::all, clippy::todo, clippy::dbg_macro)]
mod generated {
    slint::include_modules!();
}

pub use generated::*;

pub use strings::apply_strings;
