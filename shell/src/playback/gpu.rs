//! Video frames through wgpu: the decoder's I420 planes are uploaded as they are (no
//! conversion on the CPU) and a one-triangle pass turns them into the RGBA texture Slint
//! shows, with the frame's own colour matrix and range. Two target textures alternate, so
//! the one on screen is never the one being drawn.

use hearth_media::player::{FrameFormat, FrameView, Plane, VideoOutput};
use slint::wgpu_30::wgpu;

use crate::gpu_presenter::{draw_full_screen, full_screen_pipeline};

const SHADER: &str = r"
struct Convert {
    // Y offset, Y scale, chroma scale, unused.
    range: vec4<f32>,
    // Red from V, green from U, green from V, blue from U.
    coefficients: vec4<f32>,
};

@group(0) @binding(0) var y_plane: texture_2d<f32>;
@group(0) @binding(1) var u_plane: texture_2d<f32>;
@group(0) @binding(2) var v_plane: texture_2d<f32>;
@group(0) @binding(3) var<uniform> convert: Convert;

@vertex
fn vertex(@builtin(vertex_index) index: u32) -> @builtin(position) vec4<f32> {
    let x = f32((index << 1u) & 2u) * 2.0 - 1.0;
    let y = f32(index & 2u) * 2.0 - 1.0;
    return vec4<f32>(x, y, 0.0, 1.0);
}

@fragment
fn fragment(@builtin(position) position: vec4<f32>) -> @location(0) vec4<f32> {
    let at = vec2<i32>(position.xy);
    let luma = (textureLoad(y_plane, at, 0).r - convert.range.x) * convert.range.y;
    let u = (textureLoad(u_plane, at / 2, 0).r - 0.5019608) * convert.range.z;
    let v = (textureLoad(v_plane, at / 2, 0).r - 0.5019608) * convert.range.z;
    let c = convert.coefficients;
    let rgb = vec3<f32>(luma + c.x * v, luma - c.y * u - c.z * v, luma + c.w * u);
    return vec4<f32>(clamp(rgb, vec3<f32>(0.0), vec3<f32>(1.0)), 1.0);
}
";

struct Textures {
    width: u32,
    height: u32,
    planes: [wgpu::Texture; 3],
    bind_group: wgpu::BindGroup,
    targets: [wgpu::Texture; 2],
    next: usize,
}

pub struct GpuVideo {
    device: wgpu::Device,
    queue: wgpu::Queue,
    pipeline: wgpu::RenderPipeline,
    layout: wgpu::BindGroupLayout,
    convert: wgpu::Buffer,
    textures: Option<Textures>,
    seen: u64,
}

/// The uniform for a colour matrix and range: eight floats.
fn convert_values(bt709: bool, full_range: bool) -> [f32; 8] {
    let (y_offset, y_scale, c_scale) = if full_range {
        (0.0, 1.0, 1.0)
    } else {
        (16.0 / 255.0, 255.0 / 219.0, 255.0 / 224.0)
    };
    let coefficients = if bt709 {
        [1.5748, 0.1873, 0.4681, 1.8556]
    } else {
        [1.402, 0.344_136, 0.714_136, 1.772]
    };
    [
        y_offset,
        y_scale,
        c_scale,
        0.0,
        coefficients[0],
        coefficients[1],
        coefficients[2],
        coefficients[3],
    ]
}

impl GpuVideo {
    pub fn new(device: wgpu::Device, queue: wgpu::Queue) -> GpuVideo {
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("hearth-video"),
            source: wgpu::ShaderSource::Wgsl(SHADER.into()),
        });
        let plane_entry = |binding| wgpu::BindGroupLayoutEntry {
            binding,
            visibility: wgpu::ShaderStages::FRAGMENT,
            ty: wgpu::BindingType::Texture {
                sample_type: wgpu::TextureSampleType::Float { filterable: false },
                view_dimension: wgpu::TextureViewDimension::D2,
                multisampled: false,
            },
            count: None,
        };
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("hearth-video"),
            entries: &[
                plane_entry(0),
                plane_entry(1),
                plane_entry(2),
                wgpu::BindGroupLayoutEntry {
                    binding: 3,
                    visibility: wgpu::ShaderStages::FRAGMENT,
                    ty: wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Uniform,
                        has_dynamic_offset: false,
                        min_binding_size: None,
                    },
                    count: None,
                },
            ],
        });
        let pipeline = full_screen_pipeline(&device, "hearth-video", &module, &layout);
        let convert = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("hearth-video-convert"),
            size: 32,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        GpuVideo {
            device,
            queue,
            pipeline,
            layout,
            convert,
            textures: None,
            seen: 0,
        }
    }

    fn textures(&self, width: u32, height: u32) -> Textures {
        let texture = |label, width, height, format, usage| {
            self.device.create_texture(&wgpu::TextureDescriptor {
                label: Some(label),
                size: wgpu::Extent3d {
                    width,
                    height,
                    depth_or_array_layers: 1,
                },
                mip_level_count: 1,
                sample_count: 1,
                dimension: wgpu::TextureDimension::D2,
                format,
                usage,
                view_formats: &[],
            })
        };
        let upload = wgpu::TextureUsages::COPY_DST | wgpu::TextureUsages::TEXTURE_BINDING;
        let (half_width, half_height) = (width.div_ceil(2), height.div_ceil(2));
        let planes = [
            texture(
                "hearth-video-y",
                width,
                height,
                wgpu::TextureFormat::R8Unorm,
                upload,
            ),
            texture(
                "hearth-video-u",
                half_width,
                half_height,
                wgpu::TextureFormat::R8Unorm,
                upload,
            ),
            texture(
                "hearth-video-v",
                half_width,
                half_height,
                wgpu::TextureFormat::R8Unorm,
                upload,
            ),
        ];
        let shown = wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::TEXTURE_BINDING;
        let targets = [
            texture(
                "hearth-video-a",
                width,
                height,
                wgpu::TextureFormat::Rgba8Unorm,
                shown,
            ),
            texture(
                "hearth-video-b",
                width,
                height,
                wgpu::TextureFormat::Rgba8Unorm,
                shown,
            ),
        ];
        let views: Vec<wgpu::TextureView> = planes
            .iter()
            .map(|plane| plane.create_view(&wgpu::TextureViewDescriptor::default()))
            .collect();
        let bind_group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("hearth-video"),
            layout: &self.layout,
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: wgpu::BindingResource::TextureView(&views[0]),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: wgpu::BindingResource::TextureView(&views[1]),
                },
                wgpu::BindGroupEntry {
                    binding: 2,
                    resource: wgpu::BindingResource::TextureView(&views[2]),
                },
                wgpu::BindGroupEntry {
                    binding: 3,
                    resource: self.convert.as_entire_binding(),
                },
            ],
        });
        Textures {
            width,
            height,
            planes,
            bind_group,
            targets,
            next: 0,
        }
    }

    fn upload(&self, texture: &wgpu::Texture, plane: Plane<'_>, width: u32, height: u32) {
        self.queue.write_texture(
            wgpu::TexelCopyTextureInfo {
                texture,
                mip_level: 0,
                origin: wgpu::Origin3d::ZERO,
                aspect: wgpu::TextureAspect::All,
            },
            plane.data,
            wgpu::TexelCopyBufferLayout {
                offset: 0,
                bytes_per_row: u32::try_from(plane.stride).ok(),
                rows_per_image: None,
            },
            wgpu::Extent3d {
                width,
                height,
                depth_or_array_layers: 1,
            },
        );
    }

    /// The newest frame as a texture, if one came since the last call and it is I420.
    pub fn present(&mut self, video: &VideoOutput) -> Option<slint::Image> {
        let mut textures = self.textures.take();
        let result = video.take_since(self.seen, |frame: FrameView<'_>| {
            let FrameFormat::I420 { bt709, full_range } = frame.format else {
                return None;
            };
            let [u, v] = frame.chroma?;
            if textures
                .as_ref()
                .is_none_or(|t| (t.width, t.height) != (frame.width, frame.height))
            {
                textures = Some(self.textures(frame.width, frame.height));
            }
            let textures = textures.as_mut()?;
            let values = convert_values(bt709, full_range);
            let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
            self.queue.write_buffer(&self.convert, 0, &bytes);
            let (half_width, half_height) = (frame.width.div_ceil(2), frame.height.div_ceil(2));
            let y = Plane {
                data: frame.data,
                stride: frame.stride,
            };
            self.upload(&textures.planes[0], y, frame.width, frame.height);
            self.upload(&textures.planes[1], u, half_width, half_height);
            self.upload(&textures.planes[2], v, half_width, half_height);
            let target = textures.targets[textures.next].clone();
            textures.next = 1 - textures.next;
            self.convert_into(&textures.bind_group, &target);
            Some(target)
        });
        self.textures = textures;
        let (generation, target) = result?;
        self.seen = generation;
        slint::Image::try_from(target?)
            .map_err(|error| tracing::warn!(%error, "Slint refused the video texture"))
            .ok()
    }

    fn convert_into(&self, bind_group: &wgpu::BindGroup, target: &wgpu::Texture) {
        draw_full_screen(
            &self.device,
            &self.queue,
            &self.pipeline,
            bind_group,
            target,
        );
    }

    /// Forgets the textures and what was seen (a new file, or the player closed).
    pub fn reset(&mut self) {
        self.textures = None;
        self.seen = 0;
    }
}
