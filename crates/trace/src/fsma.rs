//! FSMA 204 style sortable spreadsheet: one row per critical tracking event and
//! traceability lot, with its key data elements (lot code, product, quantity and unit,
//! place, date, source, destination, reference document). Written as CSV or XLSX.

use std::collections::HashMap;

use epcis::model::Action;
use epcis::EventType;

use crate::graph::{role_name, EdgeKind, TraceEvent, TraceGraph};
use crate::node::{classify, NodeKind, NodeRef};
use crate::record::{Link, Role};

/// One row: a critical tracking event as it concerns one traceability lot.
#[derive(Debug, Clone, PartialEq)]
pub struct FsmaRow {
    /// Traceability lot code as a GS1 element string (`(01)…(10)…`, `(01)…(21)…`, `(00)…`).
    pub lot_code: String,
    /// Product description (from the product registry), else the GTIN.
    pub product: String,
    /// Quantity, when the event gives one.
    pub quantity: Option<f64>,
    /// Unit of measure (UN/CEFACT Rec 20), when given.
    pub unit: String,
    /// Critical tracking event (`Harvesting`, `Shipping`, `Receiving`, `Transformation`, …).
    pub cte: String,
    /// How the lot takes part (`epc`, `input`, `output`, `child`; `contents` when it travels
    /// inside a named logistic unit).
    pub role: String,
    /// Local date of the event (`YYYY-MM-DD`).
    pub date: String,
    /// Local time with offset (`HH:MM:SS+07:00`).
    pub time: String,
    /// Where the event happened (business location, else read point).
    pub location: String,
    /// Ship-from / source (location, else party).
    pub source: String,
    /// Ship-to / destination (location, else party).
    pub destination: String,
    /// Reference document type (`po`, `desadv`, `inv`, …).
    pub reference_type: String,
    /// Reference document number.
    pub reference: String,
    /// `eventID`.
    pub event_id: String,
    time_ms: i64,
}

/// Column titles, in order.
pub const COLUMNS: [&str; 14] = [
    "Traceability Lot Code",
    "Product Description",
    "Quantity",
    "Unit of Measure",
    "Critical Tracking Event",
    "Role",
    "Event Date",
    "Event Time",
    "Location",
    "Ship From / Source",
    "Ship To / Destination",
    "Reference Document Type",
    "Reference Document Number",
    "Event ID",
];

impl FsmaRow {
    /// The cells as text, in [`COLUMNS`] order.
    pub fn cells(&self) -> [String; 14] {
        [
            self.lot_code.clone(),
            self.product.clone(),
            self.quantity.map(format_number).unwrap_or_default(),
            self.unit.clone(),
            self.cte.clone(),
            self.role.clone(),
            self.date.clone(),
            self.time.clone(),
            self.location.clone(),
            self.source.clone(),
            self.destination.clone(),
            self.reference_type.clone(),
            self.reference.clone(),
            self.event_id.clone(),
        ]
    }
}

fn format_number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

/// The rows of a trace, sorted by lot code then time. `describe` names a product by GTIN
/// (the product registry); without a name the GTIN stands in.
pub fn rows(graph: &TraceGraph, describe: &dyn Fn(&str) -> Option<String>) -> Vec<FsmaRow> {
    // What each logistic unit carried, by the aggregation edges of the trace.
    let mut contents: HashMap<&str, Vec<(&str, Option<&Link>)>> = HashMap::new();
    for edge in graph.edges.iter().filter(|e| e.kind == EdgeKind::Contains) {
        let link = graph.events[edge.event]
            .record
            .with_role(Role::Child)
            .find(|l| l.node == edge.to);
        contents
            .entry(edge.from.as_str())
            .or_default()
            .push((edge.to.as_str(), link));
    }
    let origins: Vec<usize> = graph.origins().iter().map(|o| o.event).collect();
    let mut out = Vec::new();
    for (i, event) in graph.events.iter().enumerate() {
        let cte = cte(event, origins.contains(&i));
        let mut lots: Vec<(&str, String, Option<&Link>)> = Vec::new();
        // Lots the event names come before lots inside the logistic units it names.
        let mut links: Vec<(&Link, NodeKind)> = event
            .record
            .links
            .iter()
            .map(|l| (l, classify(&l.node).kind))
            .collect();
        links.sort_by_key(|(_, k)| *k == NodeKind::LogisticUnit);
        for (link, kind) in links {
            match (link.role, kind) {
                (Role::LotOf, _) => {}
                (_, NodeKind::Lot | NodeKind::Item) => {
                    lots.push((&link.node, role_name(link.role).to_owned(), Some(link)));
                }
                (_, NodeKind::LogisticUnit) => {
                    for (child, child_link) in
                        contents.get(link.node.as_str()).into_iter().flatten()
                    {
                        lots.push((child, "contents".to_owned(), *child_link));
                    }
                }
                _ => {}
            }
        }
        let mut seen = Vec::new();
        lots.retain(|(node, _, _)| {
            let first = !seen.contains(node);
            seen.push(*node);
            first
        });
        for (node, role, link) in lots {
            out.push(row(event, node, role, link, &cte, describe));
        }
    }
    out.sort_by(|a, b| {
        (&a.lot_code, a.time_ms, &a.event_id, &a.role).cmp(&(
            &b.lot_code,
            b.time_ms,
            &b.event_id,
            &b.role,
        ))
    });
    out
}

fn row(
    event: &TraceEvent,
    node: &str,
    role: String,
    link: Option<&Link>,
    cte: &str,
    describe: &dyn Fn(&str) -> Option<String>,
) -> FsmaRow {
    let r = &event.record;
    let what = classify(node);
    let local = event.local_time();
    let (date, time) = local.split_once('T').unwrap_or((&local, ""));
    let side = |list: &[crate::record::Party]| {
        list.iter()
            .find(|p| p.kind == "location")
            .or_else(|| list.iter().find(|p| p.kind.ends_with("party")))
            .map(|p| p.id.clone())
            .unwrap_or_default()
    };
    let reference = r.biz_transactions.first();
    FsmaRow {
        lot_code: lot_code(&what).unwrap_or_else(|| node.to_owned()),
        product: what
            .gtin
            .as_deref()
            .map(|g| describe(g).unwrap_or_else(|| format!("GTIN {g}")))
            .unwrap_or_default(),
        quantity: link.and_then(|l| l.quantity),
        unit: link
            .and_then(|l| l.uom.as_deref())
            .unwrap_or_default()
            .to_owned(),
        cte: cte.to_owned(),
        role,
        date: date.to_owned(),
        time: time.to_owned(),
        location: event.place().unwrap_or_default().to_owned(),
        source: side(&r.sources),
        destination: side(&r.destinations),
        reference_type: reference.map(|p| p.kind.to_string()).unwrap_or_default(),
        reference: reference.map(|p| p.id.clone()).unwrap_or_default(),
        event_id: r.event_id.clone(),
        time_ms: r.time_ms,
    }
}

/// The GS1 element string of a lot, item or logistic unit.
fn lot_code(n: &NodeRef) -> Option<String> {
    match (n.kind, &n.gtin, &n.lot, &n.serial, &n.sscc) {
        (NodeKind::Lot, Some(g), Some(l), _, _) => Some(format!("(01){g}(10){l}")),
        (NodeKind::Item, Some(g), Some(l), Some(s), _) => Some(format!("(01){g}(10){l}(21){s}")),
        (NodeKind::Item, Some(g), None, Some(s), _) => Some(format!("(01){g}(21){s}")),
        (NodeKind::LogisticUnit, _, _, _, Some(s)) => Some(format!("(00){s}")),
        _ => None,
    }
}

/// The critical tracking event an EPCIS event records.
fn cte(event: &TraceEvent, origin: bool) -> String {
    let r = &event.record;
    if r.event_type == EventType::TransformationEvent {
        return "Transformation".into();
    }
    match r.biz_step.as_deref() {
        Some("commissioning") if origin && r.action == Some(Action::Add) => "Harvesting".into(),
        Some("shipping" | "departing") => "Shipping".into(),
        Some("receiving" | "arriving" | "accepting") => "Receiving".into(),
        Some("packing") => "Packing".into(),
        Some("unpacking") => "Unpacking".into(),
        Some(step) => {
            let mut s = step.replace('_', " ");
            if let Some(first) = s.get(..1) {
                let upper = first.to_uppercase();
                s.replace_range(..1, &upper);
            }
            s
        }
        None => match (r.event_type, r.action) {
            (EventType::AggregationEvent, Some(Action::Add)) => "Packing".into(),
            (EventType::AggregationEvent, Some(Action::Delete)) => "Unpacking".into(),
            (t, _) => t.as_str().to_owned(),
        },
    }
}

/// The rows as CSV (RFC 4180, CRLF line ends, header first). Cells a spreadsheet would
/// read as a formula are prefixed with `'`.
pub fn to_csv(rows: &[FsmaRow]) -> String {
    let mut out = String::with_capacity(64 + rows.len() * 256);
    push_line(&mut out, COLUMNS.iter().map(|c| (*c).to_owned()));
    for row in rows {
        push_line(&mut out, row.cells().into_iter());
    }
    out
}

fn push_line(out: &mut String, cells: impl Iterator<Item = String>) {
    for (i, cell) in cells.enumerate() {
        if i > 0 {
            out.push(',');
        }
        let cell = defuse(&cell);
        if cell.contains([',', '"', '\n', '\r']) {
            out.push('"');
            out.push_str(&cell.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(&cell);
        }
    }
    out.push_str("\r\n");
}

/// Keeps a cell from being read as a formula by spreadsheet programs.
fn defuse(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@') if cell.parse::<f64>().is_err() => {
            std::borrow::Cow::Owned(format!("'{cell}"))
        }
        _ => std::borrow::Cow::Borrowed(cell),
    }
}

/// The rows as an XLSX workbook (one sheet, header frozen, filter and sort on every column).
pub fn to_xlsx(rows: &[FsmaRow]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("FSMA 204")?;
    let bold = Format::new().set_bold();
    for (c, title) in COLUMNS.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *title, &bold)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let r = (r + 1) as u32;
        for (c, cell) in row.cells().into_iter().enumerate() {
            let c = c as u16;
            match (c, row.quantity) {
                (2, Some(q)) => {
                    sheet.write_number(r, c, q)?;
                }
                _ => {
                    sheet.write_string(r, c, cell)?;
                }
            }
        }
    }
    let last_row = rows.len() as u32;
    sheet.autofilter(0, 0, last_row, (COLUMNS.len() - 1) as u16)?;
    sheet.set_freeze_panes(1, 0)?;
    for (c, width) in [
        (0u16, 34.0),
        (1, 28.0),
        (4, 18.0),
        (6, 12.0),
        (7, 16.0),
        (8, 40.0),
        (9, 40.0),
        (10, 40.0),
        (12, 44.0),
        (13, 48.0),
    ] {
        sheet.set_column_width(c, width)?;
    }
    book.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_defuses() {
        let mut out = String::new();
        push_line(
            &mut out,
            ["a,b", "say \"hi\"", "=SUM(A1)", "-12.5", "plain"]
                .iter()
                .map(|s| (*s).to_owned()),
        );
        assert_eq!(out, "\"a,b\",\"say \"\"hi\"\"\",'=SUM(A1),-12.5,plain\r\n");
    }

    #[test]
    fn numbers_stay_short() {
        assert_eq!(format_number(1200.0), "1200");
        assert_eq!(format_number(5.25), "5.25");
    }
}
