//! Hearth's integration tests: one binary, a module per area, each test in a private world.

mod consoles;
mod first_frame;
mod gestures;
mod guest_size;
mod hotkeys;
mod images_control;
mod images_delivery;
mod images_network;
mod images_refusals;
mod images_resume;
mod images_service;
mod keyboard;
mod libvirt;
mod libvirtd;
mod lifecycle;
mod media_browser;
mod media_check;
mod media_helper;
mod media_index;
mod media_watch;
mod pointer_touch;
mod qemu;
mod randomized;
mod renderers;
mod screenshots;
mod tiles;
