//! The `[appliance]` table: how Hearth drives the display and the touch screen when it runs
//! straight on DRM/KMS (the `linuxkms` build, docs/DEPLOY.md).

use serde::Deserialize;
use toml::Spanned;

use super::{ConfigError, SourceText};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ApplianceSettings {
    /// Clockwise degrees the picture is turned: 0, 90, 180 or 270.
    pub rotation: u32,
    /// libinput's calibration matrix for touch screens (`[a, b, c, d, e, f]`, see
    /// libinput's documentation); also how touch follows a rotated picture.
    pub touch_calibration: Option<[f32; 6]>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ApplianceTable {
    rotation: Option<Spanned<u32>>,
    touch_calibration: Option<Spanned<Vec<f32>>>,
}

pub(super) fn check(
    source: &SourceText<'_>,
    table: ApplianceTable,
) -> Result<ApplianceSettings, ConfigError> {
    let mut settings = ApplianceSettings::default();
    if let Some(rotation) = table.rotation {
        let span = rotation.span();
        let degrees = rotation.into_inner();
        if ![0, 90, 180, 270].contains(&degrees) {
            return Err(source.invalid(
                span,
                format!("invalid rotation {degrees} (expected 0, 90, 180 or 270)"),
            ));
        }
        settings.rotation = degrees;
    }
    if let Some(matrix) = table.touch_calibration {
        let span = matrix.span();
        let values = matrix.into_inner();
        let Ok(matrix) = <[f32; 6]>::try_from(values.as_slice()) else {
            return Err(source.invalid(
                span,
                format!(
                    "touch_calibration needs 6 numbers (a libinput calibration matrix), not {}",
                    values.len()
                ),
            ));
        };
        if matrix.iter().any(|value| !value.is_finite()) {
            return Err(source.invalid(span, "touch_calibration must be finite numbers".into()));
        }
        settings.touch_calibration = Some(matrix);
    }
    Ok(settings)
}
