//! Generated codes read back by real decoders: `rqrr` for QR codes (from the PNG bytes,
//! decoded by the `png` crate) and the DataMatrix decoder for GS1 DataMatrix.

use gs1::{DigitalLink, ParseOptions};
use proptest::prelude::*;

/// Decodes the PNG and reads every QR code in it.
fn read_qr(png_bytes: &[u8]) -> Vec<String> {
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Grayscale);
    let (w, h) = (info.width as usize, info.height as usize);
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| buf[y * w + x]);
    img.detect_grids()
        .into_iter()
        .map(|g| g.decode().unwrap().1)
        .collect()
}

#[test]
fn qr_png_carries_the_digital_link() {
    for uri in [
        "https://resolver.example.vn/01/08934567000015/10/LONGAN-2025-07/21/7KQ2M9XW4TRH",
        "https://id.gs1.org/01/09520123456788?17=261231",
        "http://127.0.0.1:8080/414/8931234000011",
    ] {
        let m = labels::qr(uri).unwrap();
        let png = labels::png(&m, 4).unwrap();
        assert_eq!(read_qr(&png), vec![uri.to_string()]);
    }
}

#[test]
fn svg_has_every_dark_module() {
    let m = labels::qr("https://id.gs1.org/01/09520123456788").unwrap();
    let svg = labels::svg(&m, "GTIN 09520123456788");
    assert!(svg.starts_with("<svg") && svg.contains("<title>GTIN 09520123456788</title>"));
    let area: usize = m.runs().iter().map(|(_, _, len)| len).sum();
    let dark = (0..m.height())
        .flat_map(|y| (0..m.width()).map(move |x| (x, y)))
        .filter(|&(x, y)| m.dark(x, y))
        .count();
    assert_eq!(area, dark);
    assert_eq!(svg.matches('M').count(), m.runs().len());
}

#[test]
fn gs1_datamatrix_carries_the_element_string() {
    let dl = DigitalLink::parse_with(
        "https://id.gs1.org/01/09520123456788/10/ABC123/21/XYZ?17=261231",
        ParseOptions::STRICT,
    )
    .unwrap();
    let m = labels::gs1_datamatrix(&dl).unwrap();
    let mut pixels = Vec::with_capacity(m.width() * m.height());
    for y in 0..m.height() {
        for x in 0..m.width() {
            pixels.push(m.dark(x, y));
        }
    }
    let data = datamatrix_decode(&pixels, m.width());
    // FNC1 first is dropped by the decoder; GS separates variable-length values.
    assert_eq!(data, "010952012345678810ABC123\u{1d}21XYZ\u{1d}17261231");
    let back = gs1::parse_element_string(&data).unwrap();
    assert_eq!(DigitalLink::from_elements(&back).unwrap(), dl);
}

fn datamatrix_decode(pixels: &[bool], width: usize) -> String {
    String::from_utf8(datamatrix::DataMatrix::decode(pixels, width).unwrap()).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    /// Any lot and serial in the Digital Link survives QR encoding and decoding.
    #[test]
    fn qr_round_trip(lot in "[A-Z0-9-]{1,20}", serial in "[A-Za-z0-9]{1,20}") {
        let uri = format!("https://r.example/01/09520123456788/10/{lot}/21/{serial}");
        let png = labels::png(&labels::qr(&uri).unwrap(), 3).unwrap();
        prop_assert_eq!(read_qr(&png), vec![uri]);
    }
}
