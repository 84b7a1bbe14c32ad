//! Printable codes for GS1 identifiers: QR codes carrying the Digital Link, GS1
//! DataMatrix carrying the element string, rendered as SVG, PNG or A4 PDF label sheets,
//! and random serial numbers that cannot be guessed.
//!
//! Pure: everything returns bytes or text; the caller decides where they go.

mod error;
mod matrix;
pub mod pdf;
mod png_out;
pub mod serials;

pub use error::LabelError;
pub use matrix::Matrix;
pub use pdf::{Label, LabelSize, Sheet};
pub use serials::random_serials;

/// A QR code (error correction level M, which survives a scuffed pack) for `text`.
pub fn qr(text: &str) -> Result<Matrix, LabelError> {
    let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| LabelError::TooLong(format!("QR code: {e}")))?;
    let width = code.width();
    let bits = code
        .to_colors()
        .into_iter()
        .map(|c| c == qrcode::Color::Dark)
        .collect();
    Ok(Matrix::new(width, width, bits, 4))
}

/// A GS1 DataMatrix (FNC1 first) for the elements of a Digital Link, written as an
/// unbracketed element string with GS separators.
pub fn gs1_datamatrix(dl: &gs1::DigitalLink) -> Result<Matrix, LabelError> {
    let elements = dl.to_elements()?;
    let data = gs1::format_unbracketed(&elements);
    let code =
        datamatrix::DataMatrix::encode_gs1(data.as_bytes(), datamatrix::SymbolList::default())
            .map_err(|e| LabelError::TooLong(format!("DataMatrix: {e:?}")))?;
    let bitmap = code.bitmap();
    let (w, h) = (bitmap.width(), bitmap.height());
    let mut bits = vec![false; w * h];
    for (x, y) in bitmap.pixels() {
        bits[y * w + x] = true;
    }
    Ok(Matrix::new(w, h, bits, 1))
}

/// SVG of a code: one path, `module` user units per module, quiet zone included.
pub fn svg(m: &Matrix, title: &str) -> String {
    m.svg(title)
}

/// PNG (8-bit greyscale) of a code, `scale` pixels per module, quiet zone included.
pub fn png(m: &Matrix, scale: usize) -> Result<Vec<u8>, LabelError> {
    png_out::encode(m, scale)
}
