//! The official's trace page: a server-rendered HTML page that draws the trace graph as
//! inline SVG (no map tiles, no script), lists the parties and places involved, the origins
//! and every event, and filters by direction and dates with a plain form.

use std::collections::HashMap;
use std::fmt::Write as _;

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use trace::{Direction, EdgeKind, Node, TraceGraph};

use crate::paging::encode;
use crate::trace::{parse_params, trace_graph, TraceParams};
use crate::AppState;

/// `GET /trace/view?key=…&direction=…&from=…&to=…`.
pub async fn page(
    State(state): State<AppState>,
    crate::auth::Auth(caller): crate::auth::Auth,
    RawQuery(raw): RawQuery,
) -> Response {
    if raw.as_deref().is_none_or(|r| !r.contains("key=")) {
        return Html(document("", None, &form(None), "")).into_response();
    }
    let params = match parse_params(raw.as_deref()) {
        Ok(p) => p,
        Err(e) => return error_page(None, e.kind.status(), &e.detail),
    };
    match trace_graph(&state, &caller, &params).await {
        Ok(graph) => Html(render(&params, &graph)).into_response(),
        Err(e) => error_page(Some(&params), e.kind.status(), &e.detail),
    }
}

fn error_page(params: Option<&TraceParams>, status: StatusCode, detail: &str) -> Response {
    let body = format!("<p class=\"error\" role=\"alert\">{}</p>", esc(detail));
    (status, Html(document("", None, &form(params), &body))).into_response()
}

/// HTML-escapes text for element content and attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0 auto;max-width:1200px;padding:1rem;color:#1b1b1b}\
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:1.6rem}\
form{display:flex;flex-wrap:wrap;gap:.6rem;align-items:end;background:#f3f5f7;padding:.8rem;border-radius:6px}\
label{display:flex;flex-direction:column;font-size:.85rem}input,select,button{font-size:1rem;padding:.3rem}\
table{border-collapse:collapse;width:100%;font-size:.85rem}th,td{border-bottom:1px solid #ddd;padding:.3rem;text-align:left;vertical-align:top}\
td.id{font-family:monospace;word-break:break-all}.graph{overflow-x:auto;border:1px solid #ddd;border-radius:6px}\
.error{color:#a40000;font-weight:bold}.warn{color:#8a5a00}.legend span{display:inline-block;margin-right:1rem}\
.sw{display:inline-block;width:.9rem;height:.9rem;border-radius:2px;vertical-align:middle;margin-right:.3rem}";

fn document(title: &str, summary: Option<&str>, form: &str, body: &str) -> String {
    let title = if title.is_empty() {
        "Truy xuất / Trace".to_owned()
    } else {
        format!("Truy xuất / Trace: {}", esc(title))
    };
    format!(
        "<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{title}</title><style>{STYLE}</style></head><body>\
         <h1>{title}</h1>{}{form}{body}</body></html>",
        summary.unwrap_or_default()
    )
}

fn form(params: Option<&TraceParams>) -> String {
    let key = params.map(|p| p.key.as_str()).unwrap_or_default();
    let dir = params.map_or(Direction::Both, |p| p.request.direction);
    let from = params.and_then(|p| p.from.as_deref()).unwrap_or_default();
    let to = params.and_then(|p| p.to.as_deref()).unwrap_or_default();
    let option = |value: &str, label: &str, d: Direction| {
        let sel = if d == dir { " selected" } else { "" };
        format!("<option value=\"{value}\"{sel}>{label}</option>")
    };
    // A date input only shows plain dates; a full date-time goes in a text box.
    let date_type = |v: &str| {
        if v.is_empty() || v.len() == 10 {
            "date"
        } else {
            "text"
        }
    };
    format!(
        "<form method=\"get\" action=\"/trace/view\">\
         <label>Mã truy xuất / Lot, item or SSCC<input name=\"key\" size=\"48\" required value=\"{}\"></label>\
         <label>Chiều / Direction<select name=\"direction\">{}{}{}</select></label>\
         <label>Từ ngày / From<input type=\"{}\" name=\"from\" value=\"{}\"></label>\
         <label>Đến ngày / To<input type=\"{}\" name=\"to\" value=\"{}\"></label>\
         <button type=\"submit\">Truy xuất / Trace</button></form>",
        esc(key),
        option("both", "Cả hai / Both", Direction::Both),
        option("backward", "Ngược / Backward", Direction::Backward),
        option("forward", "Xuôi / Forward", Direction::Forward),
        date_type(from),
        esc(from),
        date_type(to),
        esc(to),
    )
}

/// The query string of the same trace, for the export links.
fn same_query(p: &TraceParams) -> String {
    let mut q = format!("key={}", encode(&p.key));
    let dir = match p.request.direction {
        Direction::Both => "both",
        Direction::Backward => "backward",
        Direction::Forward => "forward",
    };
    q.push_str(&format!("&direction={dir}"));
    if let Some(f) = &p.from {
        q.push_str(&format!("&from={}", encode(f)));
    }
    if let Some(t) = &p.to {
        q.push_str(&format!("&to={}", encode(t)));
    }
    q
}

fn render(params: &TraceParams, graph: &TraceGraph) -> String {
    let q = esc(&same_query(params));
    let mut body = String::new();
    let _ = write!(
        body,
        "<p>Tải về / Download: <a href=\"/trace/fsma.csv?{q}\">FSMA 204 CSV</a> · \
         <a href=\"/trace/fsma.xlsx?{q}\">FSMA 204 XLSX</a> · <a href=\"/trace/epcis?{q}\">EPCIS</a> · \
         <a href=\"/trace/plots.geojson?{q}\">EUDR GeoJSON</a> · <a href=\"/trace?{q}\">JSON</a></p>"
    );
    if trace::node::classify(&graph.start).kind == trace::NodeKind::Lot {
        let _ = write!(
            body,
            "<p><a id=\"declare-recall\" href=\"/ui/recalls?key={}\">Thu hồi lô này / Recall this lot</a></p>",
            esc(&encode(&params.key))
        );
    }
    if graph.truncated {
        body.push_str(
            "<p class=\"warn\">The trace reached its identifier limit and is incomplete.</p>",
        );
    }
    body.push_str("<h2>Sơ đồ / Graph</h2>");
    body.push_str(LEGEND);
    body.push_str("<div class=\"graph\">");
    body.push_str(&svg(graph));
    body.push_str("</div>");
    parties_table(&mut body, graph);
    locations_table(&mut body, graph);
    origins_table(&mut body, graph);
    events_table(&mut body, graph);
    let summary = format!(
        "<p>{} identifiers, {} events, {} parties, {} locations.</p>",
        graph.nodes.len(),
        graph.events.len(),
        graph.parties.len(),
        graph.locations.len()
    );
    document(&params.key, Some(&summary), &form(Some(params)), &body)
}

const LEGEND: &str =
    "<p class=\"legend\"><span><i class=\"sw\" style=\"background:#c62828\"></i>start</span>\
<span><i class=\"sw\" style=\"background:#2e7d32\"></i>upstream / nguồn</span>\
<span><i class=\"sw\" style=\"background:#1565c0\"></i>downstream / đích</span>\
<span><i class=\"sw\" style=\"background:#757575\"></i>carrier / bao bì, thiết bị</span></p>";

fn node_colour(n: &Node) -> &'static str {
    if n.start {
        "#c62828"
    } else if n.upstream {
        "#2e7d32"
    } else if n.downstream {
        "#1565c0"
    } else {
        "#757575"
    }
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut s: String = text.chars().take(max - 1).collect();
        s.push('…');
        s
    }
}

/// Columns by longest path along the flow of goods (input → output, lot → item, goods →
/// the container carrying them), so the graph reads left to right.
fn columns(graph: &TraceGraph) -> HashMap<&str, usize> {
    let mut col: HashMap<&str, usize> = graph.nodes.iter().map(|n| (n.id.as_str(), 0)).collect();
    let flows = graph.flows();
    // Bounded relaxation: a cycle (which real data can contain) cannot loop forever.
    for _ in 0..graph.nodes.len().min(64) {
        let mut changed = false;
        for (a, b) in &flows {
            let next = col.get(a).copied().unwrap_or(0) + 1;
            if let Some(c) = col.get_mut(b) {
                if *c < next && next < 64 {
                    *c = next;
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    col
}

const BOX_W: usize = 210;
const BOX_H: usize = 46;
const COL_W: usize = 270;
const ROW_H: usize = 62;
const PAD: usize = 12;

/// The graph as an SVG image (identifiers as boxes, links as labelled curves).
pub fn svg(graph: &TraceGraph) -> String {
    let cols = columns(graph);
    let mut by_col: Vec<Vec<&Node>> = Vec::new();
    for n in &graph.nodes {
        let c = cols.get(n.id.as_str()).copied().unwrap_or(0);
        if by_col.len() <= c {
            by_col.resize(c + 1, Vec::new());
        }
        by_col[c].push(n);
    }
    let mut pos: HashMap<&str, (usize, usize)> = HashMap::new();
    for (c, nodes) in by_col.iter().enumerate() {
        for (r, n) in nodes.iter().enumerate() {
            pos.insert(n.id.as_str(), (PAD + c * COL_W, PAD + r * ROW_H));
        }
    }
    let rows = by_col.iter().map(Vec::len).max().unwrap_or(1);
    let width = PAD * 2 + by_col.len().max(1) * COL_W;
    let height = PAD * 2 + rows * ROW_H;
    let mut s = String::with_capacity(1024 + graph.nodes.len() * 400);
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"Trace graph\" \
         font-family=\"system-ui,sans-serif\" font-size=\"12\">\
         <defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" \
         markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0L10,5L0,10z\" fill=\"#555\"/></marker></defs>"
    );
    for e in &graph.edges {
        let (Some(&(x1, y1)), Some(&(x2, y2))) = (pos.get(e.from.as_str()), pos.get(e.to.as_str()))
        else {
            continue;
        };
        let (sx, sy) = (x1 + BOX_W, y1 + BOX_H / 2);
        let (tx, ty) = (x2, y2 + BOX_H / 2);
        let bend = (tx as i64 - sx as i64).abs().max(40) / 2;
        let (dash, colour) = match e.kind {
            EdgeKind::Transformed => ("", "#555"),
            EdgeKind::LotItem => ("", "#8e24aa"),
            EdgeKind::Contains => (" stroke-dasharray=\"5 3\"", "#555"),
            EdgeKind::Associated => (" stroke-dasharray=\"2 3\"", "#555"),
        };
        let event = &graph.events[e.event];
        let _ = write!(
            s,
            "<path d=\"M{sx},{sy} C{},{sy} {},{ty} {tx},{ty}\" fill=\"none\" stroke=\"{colour}\" \
             stroke-width=\"1.5\"{dash} marker-end=\"url(#arrow)\"><title>{} · {} · {}</title></path>",
            sx as i64 + bend,
            tx as i64 - bend,
            esc(kind_name(e.kind)),
            esc(event.record.event_type.as_str()),
            esc(&event.local_time()),
        );
    }
    for n in &graph.nodes {
        let Some(&(x, y)) = pos.get(n.id.as_str()) else {
            continue;
        };
        let (l1, l2) = n.label();
        let _ = write!(
            s,
            "<g><title>{}</title><rect x=\"{x}\" y=\"{y}\" width=\"{BOX_W}\" height=\"{BOX_H}\" rx=\"6\" \
             fill=\"#fff\" stroke=\"{}\" stroke-width=\"{}\"/>\
             <text x=\"{}\" y=\"{}\" font-weight=\"bold\" fill=\"{}\">{}</text>\
             <text x=\"{}\" y=\"{}\" fill=\"#333\">{}</text></g>",
            esc(&n.id),
            node_colour(n),
            if n.start { 3 } else { 2 },
            x + 8,
            y + 18,
            node_colour(n),
            esc(&truncate(&l1, 30)),
            x + 8,
            y + 36,
            esc(&truncate(&l2, 32)),
        );
    }
    s.push_str("</svg>");
    s
}

fn kind_name(kind: EdgeKind) -> &'static str {
    match kind {
        EdgeKind::Transformed => "transformed into",
        EdgeKind::Contains => "contains",
        EdgeKind::Associated => "associated with",
        EdgeKind::LotItem => "lot item",
    }
}

fn parties_table(out: &mut String, graph: &TraceGraph) {
    out.push_str("<h2>Tổ chức liên quan / Affected parties</h2><table><thead><tr><th>Party</th><th>Role</th><th>Events</th></tr></thead><tbody>");
    for p in &graph.parties {
        let _ = write!(
            out,
            "<tr><td class=\"id\">{}</td><td>{}</td><td>{}</td></tr>",
            esc(&p.id),
            esc(&p.roles.join(", ")),
            p.events
        );
    }
    out.push_str("</tbody></table>");
}

fn locations_table(out: &mut String, graph: &TraceGraph) {
    out.push_str("<h2>Địa điểm / Locations</h2><table><thead><tr><th>Location</th><th>Events</th></tr></thead><tbody>");
    for l in &graph.locations {
        let _ = write!(
            out,
            "<tr><td class=\"id\">{}</td><td>{}</td></tr>",
            esc(&l.id),
            l.events
        );
    }
    out.push_str("</tbody></table>");
}

fn origins_table(out: &mut String, graph: &TraceGraph) {
    let origins = graph.origins();
    if origins.is_empty() {
        return;
    }
    out.push_str("<h2>Nguồn gốc / Origins</h2><table><thead><tr><th>Lot or item</th><th>Place (plot)</th><th>Time</th></tr></thead><tbody>");
    for o in origins {
        let _ = write!(
            out,
            "<tr><td class=\"id\">{}</td><td class=\"id\">{}</td><td>{}</td></tr>",
            esc(&o.node),
            esc(o.location.as_deref().unwrap_or("")),
            esc(&graph.events[o.event].local_time())
        );
    }
    out.push_str("</tbody></table>");
}

fn events_table(out: &mut String, graph: &TraceGraph) {
    out.push_str("<h2>Sự kiện / Events</h2><table><thead><tr><th>Time</th><th>Event</th><th>Step</th><th>Place</th><th>From → To</th><th>Identifiers</th></tr></thead><tbody>");
    for e in &graph.events {
        let r = &e.record;
        let from = r
            .source("location")
            .or(r.source("owning_party"))
            .unwrap_or("");
        let to = r
            .destination("location")
            .or(r.destination("owning_party"))
            .unwrap_or("");
        let arrow = if from.is_empty() && to.is_empty() {
            String::new()
        } else {
            format!("{} → {}", esc(from), esc(to))
        };
        let ids: Vec<String> = r
            .links
            .iter()
            .map(|l| {
                let q = match (l.quantity, &l.uom) {
                    (Some(q), Some(u)) => format!(" ({q} {u})"),
                    (Some(q), None) => format!(" ({q})"),
                    _ => String::new(),
                };
                format!(
                    "{}: {}{}",
                    trace::graph::role_name(l.role),
                    esc(&l.node),
                    esc(&q)
                )
            })
            .collect();
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}{}</td><td>{}</td><td class=\"id\">{}</td><td class=\"id\">{}</td><td class=\"id\">{}</td></tr>",
            esc(&e.local_time()),
            esc(r.event_type.as_str()),
            r.action.map(|a| format!(" {}", a.as_str())).unwrap_or_default(),
            esc(r.biz_step.as_deref().unwrap_or("")),
            esc(e.place().unwrap_or("")),
            arrow,
            ids.join("<br>")
        );
    }
    out.push_str("</tbody></table>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_and_quotes() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
