//! A 2D code as dark/light modules, and its SVG rendering.

use std::fmt::Write;

/// Modules of a 2D code, row-major, `true` = dark, with the quiet zone it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matrix {
    width: usize,
    height: usize,
    bits: Vec<bool>,
    quiet: usize,
}

impl Matrix {
    /// A matrix of `width` × `height` modules needing `quiet` light modules around it.
    pub fn new(width: usize, height: usize, bits: Vec<bool>, quiet: usize) -> Matrix {
        Matrix {
            width,
            height,
            bits,
            quiet,
        }
    }

    /// Width in modules, without quiet zone.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Height in modules, without quiet zone.
    pub fn height(&self) -> usize {
        self.height
    }

    /// Quiet zone in modules, each side.
    pub fn quiet(&self) -> usize {
        self.quiet
    }

    /// Whether module (x, y) is dark.
    pub fn dark(&self, x: usize, y: usize) -> bool {
        x < self.width && y < self.height && self.bits[y * self.width + x]
    }

    /// Horizontal runs of dark modules: (x, y, length), in module units without quiet zone.
    pub fn runs(&self) -> Vec<(usize, usize, usize)> {
        let mut out = Vec::new();
        for y in 0..self.height {
            let mut x = 0;
            while x < self.width {
                if self.dark(x, y) {
                    let start = x;
                    while x < self.width && self.dark(x, y) {
                        x += 1;
                    }
                    out.push((start, y, x - start));
                } else {
                    x += 1;
                }
            }
        }
        out
    }

    /// The SVG document: one path of dark runs on white, scalable, with a `<title>`.
    pub fn svg(&self, title: &str) -> String {
        let q = self.quiet;
        let (w, h) = (self.width + 2 * q, self.height + 2 * q);
        let mut path = String::new();
        for (x, y, len) in self.runs() {
            let _ = write!(path, "M{} {}h{len}v1h-{len}z", x + q, y + q);
        }
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{pw}\" height=\"{ph}\" \
shape-rendering=\"crispEdges\" role=\"img\" aria-label=\"{t}\"><title>{t}</title>\
<rect width=\"{w}\" height=\"{h}\" fill=\"#fff\"/><path fill=\"#000\" d=\"{path}\"/></svg>",
            pw = w * 8,
            ph = h * 8,
            t = xml_escape(title),
        )
    }
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
