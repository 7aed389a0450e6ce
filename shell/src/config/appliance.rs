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

/// libinput's calibration matrix `[a, b, c, d, e, f]` on a point in 0..1:
/// `(a x + b y + c, d x + e y + f)`.
pub fn calibrated(matrix: [f32; 6], (x, y): (f32, f32)) -> (f32, f32) {
    let [a, b, c, d, e, f] = matrix;
    (a * x + b * y + c, d * x + e * y + f)
}

#[cfg(test)]
mod tests {
    use super::calibrated;

    #[test]
    fn the_documented_matrices_turn_points_as_the_picture_turns() {
        // A touch at the panel's top-right corner is the upright window's top-left corner
        // when the picture is turned 90 degrees clockwise (the window's top edge is on the
        // panel's right edge); turned 270 degrees, the panel's bottom-left corner is.
        let check = |matrix, panel, window: (f32, f32)| {
            let (x, y) = calibrated(matrix, panel);
            assert!(
                (x - window.0).abs() < 1e-6 && (y - window.1).abs() < 1e-6,
                "{matrix:?} turns {panel:?} into {:?}, not {window:?}",
                (x, y)
            );
        };
        let turned_90 = [0.0, 1.0, 0.0, -1.0, 0.0, 1.0];
        check(turned_90, (1.0, 0.0), (0.0, 0.0));
        check(turned_90, (0.0, 1.0), (1.0, 1.0));
        check(turned_90, (0.25, 0.5), (0.5, 0.75));
        let turned_180 = [-1.0, 0.0, 1.0, 0.0, -1.0, 1.0];
        check(turned_180, (1.0, 1.0), (0.0, 0.0));
        let turned_270 = [0.0, -1.0, 1.0, 1.0, 0.0, 0.0];
        check(turned_270, (0.0, 1.0), (0.0, 0.0));
        check(turned_270, (1.0, 0.0), (1.0, 1.0));
    }
}
