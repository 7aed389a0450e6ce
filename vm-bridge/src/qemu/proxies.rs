//! QEMU's D-Bus display interfaces (`org.qemu.Display1.*`) that Hearth uses, as zbus proxies.

use zbus::proxy;
use zbus::zvariant::OwnedFd;

#[proxy(
    interface = "org.qemu.Display1.VM",
    default_path = "/org/qemu/Display1/VM"
)]
pub trait Vm {
    #[zbus(property)]
    fn name(&self) -> zbus::Result<String>;
    #[zbus(property, name = "UUID")]
    fn uuid(&self) -> zbus::Result<String>;
    #[zbus(property, name = "ConsoleIDs")]
    fn console_ids(&self) -> zbus::Result<Vec<u32>>;
}

#[proxy(interface = "org.qemu.Display1.Console")]
pub trait Console {
    fn register_listener(&self, listener: OwnedFd) -> zbus::Result<()>;

    /// Tells the guest the size of the view it is shown in (physical millimetres, offset,
    /// pixels). Only consoles whose device can change mode accept it (virtio-vga/-gpu).
    #[zbus(name = "SetUIInfo")]
    fn set_ui_info(
        &self,
        width_mm: u16,
        height_mm: u16,
        xoff: i32,
        yoff: i32,
        width: u32,
        height: u32,
    ) -> zbus::Result<()>;

    #[zbus(property)]
    fn label(&self) -> zbus::Result<String>;
    #[zbus(property)]
    fn width(&self) -> zbus::Result<u32>;
    #[zbus(property)]
    fn height(&self) -> zbus::Result<u32>;
    #[zbus(property)]
    fn interfaces(&self) -> zbus::Result<Vec<String>>;
}

#[proxy(interface = "org.qemu.Display1.Keyboard")]
pub trait Keyboard {
    fn press(&self, keycode: u32) -> zbus::Result<()>;
    fn release(&self, keycode: u32) -> zbus::Result<()>;
}

#[proxy(interface = "org.qemu.Display1.Mouse")]
pub trait Mouse {
    fn press(&self, button: u32) -> zbus::Result<()>;
    fn release(&self, button: u32) -> zbus::Result<()>;
    fn set_abs_position(&self, x: u32, y: u32) -> zbus::Result<()>;
    fn rel_motion(&self, dx: i32, dy: i32) -> zbus::Result<()>;
    #[zbus(property)]
    fn is_absolute(&self) -> zbus::Result<bool>;
}

#[proxy(interface = "org.qemu.Display1.MultiTouch")]
pub trait MultiTouch {
    /// kind: 0 begin, 1 update, 2 end, 3 cancel.
    fn send_event(&self, kind: u32, slot: u64, x: f64, y: f64) -> zbus::Result<()>;
    #[zbus(property)]
    fn max_slots(&self) -> zbus::Result<i32>;
}
