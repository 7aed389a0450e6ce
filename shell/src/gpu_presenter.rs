//! Frames through wgpu: the damaged rectangle of a VM's BGRX frame is uploaded into a texture,
//! and a one-triangle pass swizzles it on the GPU into the RGBA texture Slint shows (Slint
//! takes only Rgba8Unorm textures). Two target textures alternate, so the one on screen is
//! never the one being drawn.

use hearth_vm_bridge::{Change, Display, Rect};
use slint::wgpu_30::wgpu;

const SHADER: &str = r"
@group(0) @binding(0) var frame: texture_2d<f32>;

@vertex
fn vertex(@builtin(vertex_index) index: u32) -> @builtin(position) vec4<f32> {
    // One triangle that covers the whole target.
    let x = f32((index << 1u) & 2u) * 2.0 - 1.0;
    let y = f32(index & 2u) * 2.0 - 1.0;
    return vec4<f32>(x, y, 0.0, 1.0);
}

@fragment
fn fragment(@builtin(position) position: vec4<f32>) -> @location(0) vec4<f32> {
    // The source is Bgra8Unorm, so loading it already yields red, green, blue in order; the
    // fourth byte is padding (X), not alpha.
    let texel = textureLoad(frame, vec2<i32>(position.xy), 0);
    return vec4<f32>(texel.rgb, 1.0);
}
";

struct Textures {
    width: u32,
    height: u32,
    source: wgpu::Texture,
    bind_group: wgpu::BindGroup,
    targets: [wgpu::Texture; 2],
    next: usize,
}

/// Presents VM frames as wgpu textures on Slint's own device and queue.
pub struct GpuPresenter {
    device: wgpu::Device,
    queue: wgpu::Queue,
    pipeline: wgpu::RenderPipeline,
    layout: wgpu::BindGroupLayout,
    textures: Option<Textures>,
    seen: u64,
}

impl GpuPresenter {
    pub fn new(device: wgpu::Device, queue: wgpu::Queue) -> GpuPresenter {
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("hearth-swizzle"),
            source: wgpu::ShaderSource::Wgsl(SHADER.into()),
        });
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("hearth-frame"),
            entries: &[wgpu::BindGroupLayoutEntry {
                binding: 0,
                visibility: wgpu::ShaderStages::FRAGMENT,
                ty: wgpu::BindingType::Texture {
                    sample_type: wgpu::TextureSampleType::Float { filterable: false },
                    view_dimension: wgpu::TextureViewDimension::D2,
                    multisampled: false,
                },
                count: None,
            }],
        });
        let pipeline = full_screen_pipeline(&device, "hearth-swizzle", &module, &layout);
        GpuPresenter {
            device,
            queue,
            pipeline,
            layout,
            textures: None,
            seen: 0,
        }
    }

    fn textures(&self, width: u32, height: u32) -> Textures {
        let size = wgpu::Extent3d {
            width,
            height,
            depth_or_array_layers: 1,
        };
        let texture = |label, format, usage| {
            self.device.create_texture(&wgpu::TextureDescriptor {
                label: Some(label),
                size,
                mip_level_count: 1,
                sample_count: 1,
                dimension: wgpu::TextureDimension::D2,
                format,
                usage,
                view_formats: &[],
            })
        };
        let source = texture(
            "hearth-frame-bgrx",
            wgpu::TextureFormat::Bgra8Unorm,
            wgpu::TextureUsages::COPY_DST | wgpu::TextureUsages::TEXTURE_BINDING,
        );
        let shown = wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::TEXTURE_BINDING;
        let targets = [
            texture(
                "hearth-frame-rgba-a",
                wgpu::TextureFormat::Rgba8Unorm,
                shown,
            ),
            texture(
                "hearth-frame-rgba-b",
                wgpu::TextureFormat::Rgba8Unorm,
                shown,
            ),
        ];
        let view = source.create_view(&wgpu::TextureViewDescriptor::default());
        let bind_group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("hearth-frame"),
            layout: &self.layout,
            entries: &[wgpu::BindGroupEntry {
                binding: 0,
                resource: wgpu::BindingResource::TextureView(&view),
            }],
        });
        Textures {
            width,
            height,
            source,
            bind_group,
            targets,
            next: 0,
        }
    }

    /// Uploads what changed and returns the new image, or None when nothing changed or the
    /// screen is off. `force` uploads the whole frame (a new VM is shown).
    pub fn present(&mut self, display: &Display, force: bool) -> Option<slint::Image> {
        if !force && display.generation() == self.seen {
            return None;
        }
        let seen = if force { 0 } else { self.seen };
        let mut textures = self.textures.take();
        let (generation, target) = display.read_since(seen, |surface, change| {
            let surface = surface?;
            if textures
                .as_ref()
                .is_none_or(|t| (t.width, t.height) != (surface.width, surface.height))
            {
                textures = Some(self.textures(surface.width, surface.height));
            }
            let textures = textures.as_mut()?;
            let full = Rect::new(0, 0, surface.width, surface.height);
            let region = match change {
                Change::Region(rect) if !force => rect.clip(surface.width, surface.height),
                Change::None if !force => Rect::default(),
                _ => full,
            };
            if !region.is_empty() {
                let offset = region.y as u64 * surface.stride as u64 + region.x as u64 * 4;
                self.queue.write_texture(
                    wgpu::TexelCopyTextureInfo {
                        texture: &textures.source,
                        mip_level: 0,
                        origin: wgpu::Origin3d {
                            x: region.x,
                            y: region.y,
                            z: 0,
                        },
                        aspect: wgpu::TextureAspect::All,
                    },
                    &surface.pixels,
                    wgpu::TexelCopyBufferLayout {
                        offset,
                        bytes_per_row: Some(surface.stride),
                        rows_per_image: None,
                    },
                    wgpu::Extent3d {
                        width: region.width,
                        height: region.height,
                        depth_or_array_layers: 1,
                    },
                );
            }
            let target = textures.targets[textures.next].clone();
            textures.next = 1 - textures.next;
            self.swizzle(&textures.bind_group, &target);
            Some(target)
        });
        self.textures = textures;
        match target {
            Some(target) => {
                self.seen = generation;
                slint::Image::try_from(target)
                    .map_err(|error| tracing::warn!(%error, "Slint refused the frame texture"))
                    .ok()
            }
            None => {
                self.textures = None;
                self.seen = generation;
                None
            }
        }
    }

    fn swizzle(&self, bind_group: &wgpu::BindGroup, target: &wgpu::Texture) {
        draw_full_screen(
            &self.device,
            &self.queue,
            &self.pipeline,
            bind_group,
            target,
        );
    }

    /// Forgets the textures (the VM is no longer shown).
    pub fn reset(&mut self) {
        self.textures = None;
        self.seen = 0;
    }

    /// Waits until the GPU has finished what was submitted (for benchmarks).
    pub fn wait(&self) {
        let _ = self.device.poll(wgpu::PollType::wait_indefinitely());
    }
}

/// A pipeline that draws one triangle over its whole `Rgba8Unorm` target with the shader
/// `module` (entry points `vertex` and `fragment`), reading what `layout` binds.
pub fn full_screen_pipeline(
    device: &wgpu::Device,
    label: &str,
    module: &wgpu::ShaderModule,
    layout: &wgpu::BindGroupLayout,
) -> wgpu::RenderPipeline {
    let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
        label: Some(label),
        bind_group_layouts: &[Some(layout)],
        immediate_size: 0,
    });
    device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
        label: Some(label),
        layout: Some(&pipeline_layout),
        vertex: wgpu::VertexState {
            module,
            entry_point: Some("vertex"),
            compilation_options: Default::default(),
            buffers: &[],
        },
        primitive: wgpu::PrimitiveState::default(),
        depth_stencil: None,
        multisample: wgpu::MultisampleState::default(),
        fragment: Some(wgpu::FragmentState {
            module,
            entry_point: Some("fragment"),
            compilation_options: Default::default(),
            targets: &[Some(wgpu::ColorTargetState {
                format: wgpu::TextureFormat::Rgba8Unorm,
                blend: None,
                write_mask: wgpu::ColorWrites::ALL,
            })],
        }),
        multiview_mask: None,
        cache: None,
    })
}

/// Runs `pipeline` once over `target` with `bind_group`, and submits it.
pub fn draw_full_screen(
    device: &wgpu::Device,
    queue: &wgpu::Queue,
    pipeline: &wgpu::RenderPipeline,
    bind_group: &wgpu::BindGroup,
    target: &wgpu::Texture,
) {
    let view = target.create_view(&wgpu::TextureViewDescriptor::default());
    let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
        label: Some("hearth-full-screen"),
    });
    {
        let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
            label: Some("hearth-full-screen"),
            color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                view: &view,
                depth_slice: None,
                resolve_target: None,
                ops: wgpu::Operations {
                    load: wgpu::LoadOp::Clear(wgpu::Color::BLACK),
                    store: wgpu::StoreOp::Store,
                },
            })],
            depth_stencil_attachment: None,
            timestamp_writes: None,
            occlusion_query_set: None,
            multiview_mask: None,
        });
        pass.set_pipeline(pipeline);
        pass.set_bind_group(0, bind_group, &[]);
        pass.draw(0..3, 0..1);
    }
    queue.submit([encoder.finish()]);
}
