//! PNG output of a code.

use crate::{LabelError, Matrix};

/// Most pixels per module (keeps a request from asking for a gigantic image).
pub const MAX_SCALE: usize = 40;

/// 8-bit greyscale PNG, `scale` pixels per module, quiet zone included.
pub fn encode(m: &Matrix, scale: usize) -> Result<Vec<u8>, LabelError> {
    if scale == 0 || scale > MAX_SCALE {
        return Err(LabelError::Layout(format!(
            "scale {scale}: give 1 to {MAX_SCALE} pixels per module"
        )));
    }
    let q = m.quiet();
    let w = (m.width() + 2 * q) * scale;
    let h = (m.height() + 2 * q) * scale;
    let mut pixels = vec![255u8; w * h];
    for (x, y, len) in m.runs() {
        for dy in 0..scale {
            let row = (y + q) * scale + dy;
            let start = row * w + (x + q) * scale;
            pixels[start..start + len * scale].fill(0);
        }
    }
    let mut out = Vec::new();
    {
        let width = u32::try_from(w).map_err(|e| LabelError::Png(e.to_string()))?;
        let height = u32::try_from(h).map_err(|e| LabelError::Png(e.to_string()))?;
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder
            .write_header()
            .map_err(|e| LabelError::Png(e.to_string()))?;
        writer
            .write_image_data(&pixels)
            .map_err(|e| LabelError::Png(e.to_string()))?;
        writer
            .finish()
            .map_err(|e| LabelError::Png(e.to_string()))?;
    }
    Ok(out)
}
