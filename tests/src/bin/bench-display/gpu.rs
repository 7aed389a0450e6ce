//! The wgpu update path: upload of a full 1920x1080 BGRX frame and the swizzle pass, waited
//! for, on whatever adapter wgpu finds (Mesa's lavapipe on a machine with no GPU).

use std::time::Duration;

use hearth::gpu_presenter::GpuPresenter;
use hearth_vm_bridge::{Display, Rect};
use slint::wgpu_30::wgpu;

/// Times `rounds` full updates through the GPU path; None when there is no adapter.
pub fn update_times(display: &Display, rounds: usize) -> Option<(String, Vec<Duration>)> {
    let instance = wgpu::Instance::default();
    let adapter =
        zbus::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions::default())).ok()?;
    let name = adapter.get_info().name;
    let (device, queue) =
        zbus::block_on(adapter.request_device(&wgpu::DeviceDescriptor::default())).ok()?;
    let mut presenter = GpuPresenter::new(device, queue);
    presenter.present(display, true);
    presenter.wait();
    let (width, height) = display.size()?;
    let full = Rect::new(0, 0, width, height);
    let times = super::time(rounds, || {
        display.damage(full);
        std::hint::black_box(presenter.present(display, false));
        presenter.wait();
    });
    Some((name, times))
}
