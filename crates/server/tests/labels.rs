//! QR codes, DataMatrix and PDF label sheets over HTTP, read back by real decoders:
//! `rqrr` for QR codes, poppler's `pdftoppm`/`pdftotext` and zbar's `zbarimg` for the PDF.

mod common;

use std::process::Command;

use common::{TestServer, LOT};
use serde_json::{json, Value};
use server::ServerConfig;

const TOKEN: &str = "labels-token";

async fn server() -> TestServer {
    let s = TestServer::with_config(ServerConfig {
        link_admin_token: Some(TOKEN.into()),
        ..ServerConfig::default()
    })
    .await;
    s.load_dataset().await;
    s
}

/// Every QR code in a greyscale or RGB PNG.
fn read_qr(png_bytes: &[u8]) -> Vec<String> {
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let (w, h) = (info.width as usize, info.height as usize);
    let channels = match info.color_type {
        png::ColorType::Grayscale => 1,
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        other => panic!("unexpected PNG colour type {other:?}"),
    };
    let mut img =
        rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| buf[(y * w + x) * channels]);
    let mut out: Vec<String> = img
        .detect_grids()
        .into_iter()
        .filter_map(|g| g.decode().ok().map(|(_, text)| text))
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn qr_png_decodes_to_a_link_that_resolves() {
    let s = server().await;
    let r = s
        .get("/labels/qr/01/08931234000011/10/LOT1?17=261231&format=png&scale=4")
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    let png = r.bytes().await.unwrap();
    let uri = format!("{}/01/08931234000011/10/LOT1?17=261231", s.base);
    assert_eq!(read_qr(&png), vec![uri.clone()]);
    // Scanning it reaches the resolver, which sends the phone to the passport.
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(&uri)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 307);
    let to = r.headers()["location"].to_str().unwrap();
    assert!(
        to.contains(&format!(
            "/passport{}",
            LOT.trim_start_matches("https://id.gs1.org")
        )),
        "{to}"
    );

    let r = s.get("/labels/qr/01/08931234000011/10/LOT1").await;
    assert_eq!(r.headers()["content-type"], "image/svg+xml");
    assert!(r.text().await.unwrap().starts_with("<svg"));
    let r = s
        .get("/labels/datamatrix/01/08931234000011/10/LOT1?format=png")
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
}

#[tokio::test]
async fn bad_label_requests_are_400() {
    let s = server().await;
    for (path, words) in [
        ("/labels/qr/01/08931234000012", "check digit"),
        ("/labels/qr/01/08931234000011?format=gif", "format"),
        ("/labels/qr/01/08931234000011?format=png&scale=0", "scale"),
        ("/labels/sheet/01/08931234000011?size=1x1", "label size"),
        ("/labels/sheet/01/08931234000011?from=10&to=5", "ascending"),
        ("/labels/sheet/01/08931234000011?copies=999999", "copies"),
    ] {
        let r = s.get(path).await;
        assert_eq!(r.status(), 400, "{path}");
        let p: Value = r.json().await.unwrap();
        assert!(p["detail"].as_str().unwrap().contains(words), "{path}: {p}");
    }
}

fn tool(name: &str) -> Command {
    let probe = Command::new(name).arg("-v").output();
    assert!(
        probe.is_ok(),
        "{name} is needed (Debian package poppler-utils; .ci/run installs it)"
    );
    Command::new(name)
}

#[tokio::test]
async fn pdf_sheet_renders_and_its_codes_decode() {
    let s = server().await;
    let r = s
        .get("/labels/sheet/01/08931234000011/10/LOT1?from=100&to=107&size=70x37")
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    let pdf = r.bytes().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sheet.pdf");
    std::fs::write(&file, &pdf).unwrap();

    let text = tool("pdftotext").arg(&file).arg("-").output().unwrap();
    assert!(
        text.status.success(),
        "{}",
        String::from_utf8_lossy(&text.stderr)
    );
    let text = String::from_utf8(text.stdout).unwrap();
    for n in 100..=107 {
        assert!(
            text.contains(&format!("(21) {n}")),
            "serial {n} missing from: {text}"
        );
    }
    assert!(text.contains("(10) LOT1") && text.contains("(01) 08931234000011"));

    // zbar reads every code on the page (rqrr is for one code per image). Its page-wide finder
    // now and then skips one of the eight codes, depending on their content (the port in the
    // URL changes every run): each code must decode in at least one of two renderings, so a
    // code that is wrong or unreadable still fails.
    let mut codes: Vec<String> = ["300", "450"]
        .into_iter()
        .flat_map(|dpi| decode_page(&file, dir.path(), dpi))
        .collect();
    codes.sort();
    codes.dedup();
    let want: Vec<String> = (100..=107)
        .map(|n| format!("{}/01/08931234000011/10/LOT1/21/{n}", s.base))
        .collect();
    assert_eq!(codes, want);
}

#[tokio::test]
async fn random_serials_for_the_brand_owner() {
    let s = server().await;
    let client = reqwest::Client::new();
    let body = json!({"anchor": LOT, "count": 50});
    let r = client
        .post(s.url("/labels/serials"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = client
        .post(s.url("/labels/serials"))
        .bearer_auth(TOKEN)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let doc: Value = r.json().await.unwrap();
    let serials: Vec<&str> = doc["serials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(serials.len(), 50);
    let unique: std::collections::HashSet<_> = serials.iter().collect();
    assert_eq!(unique.len(), 50);
    assert!(doc["links"][0]
        .as_str()
        .unwrap()
        .ends_with(&format!("/01/08931234000011/10/LOT1/21/{}", serials[0])));
}

/// The QR codes zbar reads on page 1 of `pdf`, rendered at `dpi` into `dir`.
fn decode_page(pdf: &std::path::Path, dir: &std::path::Path, dpi: &str) -> Vec<String> {
    let prefix = dir.join(format!("page-{dpi}"));
    let out = tool("pdftoppm")
        // Without anti-aliasing: every module is a crisp block of pixels (grey module edges
        // made about one sheet in six lose a code at 200 dpi).
        .args([
            "-r",
            dpi,
            "-aa",
            "no",
            "-aaVector",
            "no",
            "-gray",
            "-png",
            "-f",
            "1",
            "-l",
            "1",
        ])
        .arg(pdf)
        .arg(&prefix)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stem = format!("page-{dpi}");
    let page = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.extension().is_some_and(|x| x == "png")
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(&stem))
        })
        .expect("pdftoppm wrote no page image");
    let out = Command::new("zbarimg")
        .args(["--raw", "-q", "-Sdisable", "-Sqrcode.enable"])
        .arg(&page)
        .output()
        .expect("zbarimg is needed (Debian package zbar-tools; .ci/run installs it)");
    // zbarimg exits 4 when it finds no code at all; the caller's comparison reports that.
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}
