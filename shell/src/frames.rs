//! The focused VM's frames as Slint images, through the CPU or, with the wgpu renderer, the GPU.

use hearth_vm_bridge::Display;

use crate::presenter::FramePresenter;

pub enum Frames {
    Cpu(FramePresenter),
    #[cfg(feature = "wgpu")]
    Gpu(Box<crate::gpu_presenter::GpuPresenter>),
}

impl Default for Frames {
    fn default() -> Frames {
        Frames::Cpu(FramePresenter::default())
    }
}

impl Frames {
    /// The frame as an image if anything changed (or `force`), None otherwise or when off.
    pub fn present(&mut self, display: &Display, force: bool) -> Option<slint::Image> {
        match self {
            Frames::Cpu(presenter) => presenter.present(display, force),
            #[cfg(feature = "wgpu")]
            Frames::Gpu(presenter) => presenter.present(display, force),
        }
    }

    pub fn reset(&mut self) {
        match self {
            Frames::Cpu(presenter) => presenter.reset(),
            #[cfg(feature = "wgpu")]
            Frames::Gpu(presenter) => presenter.reset(),
        }
    }
}
