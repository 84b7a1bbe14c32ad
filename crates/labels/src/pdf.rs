//! A4 label sheets as PDF, written by hand (PDF 1.4, one built-in font, vector modules):
//! small, dependency-free and exact to the millimetre, which is what label stock needs.

use std::fmt::Write;

use crate::{LabelError, Matrix};

/// Points per millimetre.
const PT_PER_MM: f64 = 72.0 / 25.4;
/// A4 in millimetres.
const A4: (f64, f64) = (210.0, 297.0);
/// Least margin around the grid, millimetres.
const MARGIN: f64 = 8.0;

/// One label's size in millimetres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LabelSize {
    /// Width, mm.
    pub width: f64,
    /// Height, mm.
    pub height: f64,
}

impl LabelSize {
    /// Common label stock sizes by name (`70x37`, `50x30`, `38x21`, `100x50`) or any
    /// `WxH` in millimetres from 20×15 to 190×270.
    pub fn parse(text: &str) -> Result<LabelSize, LabelError> {
        let bad = || {
            LabelError::Layout(format!(
                "label size {text:?}: write WxH in millimetres, e.g. 70x37, 50x30, 38x21, 100x50"
            ))
        };
        let (w, h) = text.split_once(['x', 'X']).ok_or_else(bad)?;
        let width: f64 = w.trim().parse().map_err(|_| bad())?;
        let height: f64 = h.trim().parse().map_err(|_| bad())?;
        if !(20.0..=190.0).contains(&width) || !(15.0..=270.0).contains(&height) {
            return Err(LabelError::Layout(format!(
                "label size {width}x{height} mm: width 20 to 190, height 15 to 270"
            )));
        }
        Ok(LabelSize { width, height })
    }

    /// Columns and rows that fit on A4.
    pub fn grid(&self) -> (usize, usize) {
        let cols = ((A4.0 - 2.0 * MARGIN) / self.width).floor() as usize;
        let rows = ((A4.1 - 2.0 * MARGIN) / self.height).floor() as usize;
        (cols.max(1), rows.max(1))
    }
}

/// One label: a code and the human-readable lines printed beside or under it.
#[derive(Debug, Clone)]
pub struct Label {
    /// The code.
    pub code: Matrix,
    /// Text lines (ASCII shown as is; other characters become `?`).
    pub lines: Vec<String>,
}

/// A sheet request: label size and the labels, filled row by row over as many pages as needed.
#[derive(Debug, Clone)]
pub struct Sheet {
    /// Label size.
    pub size: LabelSize,
    /// The labels.
    pub labels: Vec<Label>,
}

impl Sheet {
    /// The PDF document.
    pub fn pdf(&self) -> Result<Vec<u8>, LabelError> {
        if self.labels.is_empty() {
            return Err(LabelError::Layout("no labels to print".into()));
        }
        let (cols, rows) = self.size.grid();
        let per_page = cols * rows;
        let pages: Vec<String> = self
            .labels
            .chunks(per_page)
            .map(|chunk| self.page_content(chunk, cols, rows))
            .collect();
        Ok(write_pdf(&pages))
    }

    fn page_content(&self, labels: &[Label], cols: usize, rows: usize) -> String {
        let (lw, lh) = (self.size.width, self.size.height);
        // Centre the grid on the page.
        let left = (A4.0 - cols as f64 * lw) / 2.0;
        let top = (A4.1 - rows as f64 * lh) / 2.0;
        let mut out = String::new();
        for (i, label) in labels.iter().enumerate() {
            let (c, r) = (i % cols, i / cols);
            let x = left + c as f64 * lw;
            // PDF y grows upwards from the bottom of the page.
            let y = A4.1 - top - (r as f64 + 1.0) * lh;
            draw_label(&mut out, label, x, y, lw, lh);
        }
        out
    }
}

/// Draws one label with its lower-left corner at (x, y) mm: the code on the left (or on
/// top for tall labels), text beside it; a light cut guide around.
fn draw_label(out: &mut String, label: &Label, x: f64, y: f64, w: f64, h: f64) {
    let pad = 2.0;
    let _ = writeln!(
        out,
        "0.8 G 0.2 w {} {} {} {} re S 0 g",
        pt(x),
        pt(y),
        pt(w),
        pt(h)
    );
    let code = &label.code;
    let q = code.quiet() as f64;
    let modules_w = code.width() as f64 + 2.0 * q;
    let modules_h = code.height() as f64 + 2.0 * q;
    let tall = h > w * 1.2;
    let side = if tall {
        (w - 2.0 * pad).min(h * 0.6)
    } else {
        (h - 2.0 * pad).min(w * 0.55)
    };
    let module = side / modules_w.max(modules_h);
    let (cx, cy) = if tall {
        (x + (w - side) / 2.0, y + h - pad - side)
    } else {
        (x + pad, y + (h - side) / 2.0)
    };
    for (mx, my, len) in code.runs() {
        let rx = cx + (mx as f64 + q) * module;
        let ry = cy + side - (my as f64 + q + 1.0) * module;
        let _ = writeln!(
            out,
            "{} {} {} {} re f",
            pt(rx),
            pt(ry),
            pt(len as f64 * module),
            pt(module)
        );
    }
    // Text area.
    let (tx, ty_top, tw, th) = if tall {
        (x + pad, cy - pad, w - 2.0 * pad, cy - y - 2.0 * pad)
    } else {
        let tx = cx + side + pad;
        (tx, y + h - pad, x + w - pad - tx, h - 2.0 * pad)
    };
    if tw <= 4.0 || th <= 2.0 || label.lines.is_empty() {
        return;
    }
    // Helvetica averages about half an em per character: size the font to the longest line.
    let longest = label
        .lines
        .iter()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let by_width = tw * PT_PER_MM / (longest * 0.55);
    let by_height = th * PT_PER_MM / (label.lines.len() as f64 * 1.25);
    let size = by_width.min(by_height).clamp(4.0, 10.0);
    let leading = size * 1.25 / PT_PER_MM;
    for (i, line) in label.lines.iter().enumerate() {
        let ly = ty_top - (i as f64 + 1.0) * leading;
        if ly < y + pad * 0.5 {
            break;
        }
        let _ = writeln!(
            out,
            "BT /F1 {size:.2} Tf {} {} Td ({}) Tj ET",
            pt(tx),
            pt(ly),
            pdf_text(line)
        );
    }
}

fn pt(mm: f64) -> String {
    format!("{:.3}", mm * PT_PER_MM)
}

/// A PDF literal string body: `\`, `(`, `)` escaped; outside printable ASCII becomes `?`.
fn pdf_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '(' | ')' => {
                out.push('\\');
                out.push(c);
            }
            ' '..='~' => out.push(c),
            _ => out.push('?'),
        }
    }
    out
}

/// Serialises the objects, the cross-reference table and the trailer.
fn write_pdf(pages: &[String]) -> Vec<u8> {
    // Objects: 1 catalog, 2 pages, 3 font, then (page, content) pairs.
    let n = pages.len();
    let mut objects: Vec<String> = Vec::with_capacity(3 + 2 * n);
    objects.push("<< /Type /Catalog /Pages 2 0 R >>".into());
    let kids: Vec<String> = (0..n).map(|i| format!("{} 0 R", 4 + 2 * i)).collect();
    objects.push(format!(
        "<< /Type /Pages /Kids [{}] /Count {n} >>",
        kids.join(" ")
    ));
    objects.push(
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".into(),
    );
    let (w, h) = (A4.0 * PT_PER_MM, A4.1 * PT_PER_MM);
    for (i, content) in pages.iter().enumerate() {
        objects.push(format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {w:.2} {h:.2}] \
/Resources << /Font << /F1 3 0 R >> >> /Contents {} 0 R >>",
            5 + 2 * i
        ));
        objects.push(format!(
            "<< /Length {} >>\nstream\n{content}endstream",
            content.len()
        ));
    }
    let mut out = String::from("%PDF-1.4\n");
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        let _ = write!(out, "{} 0 obj\n{body}\nendobj\n", i + 1);
    }
    let xref = out.len();
    let _ = write!(out, "xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for off in offsets {
        // Each entry is exactly 20 bytes: ten digits, space, five digits, space, n, space, LF.
        let _ = writeln!(out, "{off:010} 00000 n ");
    }
    let _ = write!(
        out,
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    );
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(LabelSize::parse("70x37").unwrap().grid(), (2, 7));
        assert_eq!(LabelSize::parse("38x21").unwrap().grid(), (5, 13));
        assert!(LabelSize::parse("5x5").is_err());
        assert!(LabelSize::parse("big").is_err());
    }

    #[test]
    fn xref_offsets_point_at_objects() {
        let code = crate::qr("https://id.gs1.org/01/09520123456788").unwrap();
        let sheet = Sheet {
            size: LabelSize::parse("50x30").unwrap(),
            labels: vec![
                Label {
                    code,
                    lines: vec!["(01)09520123456788".into(), "Nhãn (x)".into()],
                };
                40
            ],
        };
        let pdf = String::from_utf8(sheet.pdf().unwrap()).unwrap();
        assert!(
            pdf.contains("/Count 2"),
            "40 labels of 50x30 need two pages"
        );
        assert!(pdf.contains("(Nh?n \\(x\\)) Tj"));
        let xref_at: usize = pdf
            .rsplit("startxref\n")
            .next()
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(pdf[xref_at..].starts_with("xref"));
        for (i, line) in pdf[xref_at..].lines().skip(3).take(7).enumerate() {
            let off: usize = line[..10].parse().unwrap();
            assert!(
                pdf[off..].starts_with(&format!("{} 0 obj", i + 1)),
                "object {}",
                i + 1
            );
        }
    }
}
