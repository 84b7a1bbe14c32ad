//! Backup, restore and copy in one portable format: every table of the store, row by row,
//! as JSON lines. The same dump restores into either backend, so a SQLite store moves to
//! PostgreSQL (and back) with the same code that backs it up, and a dump does not depend
//! on an engine's version or file layout. It is a copy of the tables, not of EPCIS events:
//! facets, capture jobs and named queries come back exactly as they were, sequence numbers
//! included.
//!
//! A new table of the store must be listed in [`TABLES`], after the tables its foreign
//! keys name (PostgreSQL checks them as rows arrive).

use std::io::{BufRead, Write};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value as Json};

use crate::StoreError;

/// Format name in a dump's first line.
pub const FORMAT: &str = "traceport-dump";
/// Version of the dump format (not of the schema).
pub const FORMAT_VERSION: i64 = 1;

/// How a column is carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// 64-bit integer, possibly NULL.
    Int,
    /// Double, possibly NULL.
    Real,
    /// UTF-8 text, possibly NULL.
    Text,
    /// Bytes (base64 in the dump), possibly NULL.
    Bytes,
}

/// A table that is dumped: its name, columns, and the key it is read in order of.
#[derive(Debug, PartialEq)]
pub struct Table {
    /// Table name (the same on both backends).
    pub name: &'static str,
    /// Columns and their types.
    pub columns: &'static [(&'static str, ColumnType)],
    /// `ORDER BY` of the dump (a key, so dumps of the same data are identical).
    pub order_by: &'static str,
}

use ColumnType::{Bytes, Int, Real, Text};

/// Every table of the store, in dump order.
pub const TABLES: &[Table] = &[
    Table {
        name: "fields",
        columns: &[("id", Int), ("name", Text)],
        order_by: "id",
    },
    Table {
        name: "events",
        columns: &[
            ("seq", Int),
            ("event_id", Text),
            ("hash", Text),
            ("event_type", Int),
            ("event_time", Int),
            ("record_time", Int),
            ("body", Text),
        ],
        order_by: "seq",
    },
    Table {
        name: "facet_terms",
        columns: &[("id", Int), ("field_id", Int), ("value", Text)],
        order_by: "id",
    },
    Table {
        name: "facet_postings",
        columns: &[("term_id", Int), ("seq", Int)],
        order_by: "term_id, seq",
    },
    Table {
        name: "facet_num",
        columns: &[("field_id", Int), ("value", Real), ("seq", Int)],
        order_by: "field_id, value, seq",
    },
    Table {
        name: "capture_jobs",
        columns: &[
            ("n", Int),
            ("id", Text),
            ("status", Int),
            ("mode", Int),
            ("created_ms", Int),
            ("finished_ms", Int),
            ("success", Int),
            ("errors", Text),
            ("stored", Int),
            ("document", Bytes),
            ("appended", Text),
        ],
        order_by: "n",
    },
    Table {
        name: "capture_job_documents",
        columns: &[("n", Int), ("document", Bytes)],
        order_by: "n",
    },
    Table {
        name: "named_queries",
        columns: &[("name", Text), ("definition", Text), ("created_ms", Int)],
        order_by: "name",
    },
    Table {
        name: "master_data",
        columns: &[
            ("vocabulary_type", Text),
            ("element_id", Text),
            ("element", Text),
            ("updated_ms", Int),
        ],
        order_by: "vocabulary_type, element_id",
    },
    Table {
        name: "subscriptions",
        columns: &[
            ("n", Int),
            ("id", Text),
            ("query_name", Text),
            ("dest", Text),
            ("signature_token", Text),
            ("stream", Int),
            ("schedule", Text),
            ("report_if_empty", Int),
            ("initial_record_time", Int),
            ("options", Text),
            ("created_ms", Int),
            ("last_notified_ms", Int),
            ("cursor_seq", Int),
            ("failures", Int),
            ("last_error", Text),
        ],
        order_by: "n",
    },
    Table {
        name: "resolver_links",
        columns: &[
            ("id", Text),
            ("n", Int),
            ("key", Text),
            ("lot", Text),
            ("serial_from", Text),
            ("serial_to", Text),
            ("link_type", Text),
            ("href", Text),
            ("title", Text),
            ("hreflang", Text),
            ("media_type", Text),
            ("context", Text),
            ("is_default", Int),
        ],
        order_by: "id",
    },
    Table {
        name: "resolver_scans",
        columns: &[
            ("id", Int),
            ("at_ms", Int),
            ("key", Text),
            ("identifier", Text),
            ("link_type", Text),
            ("country", Text),
            ("region", Text),
            ("ua_class", Text),
            ("status", Int),
        ],
        order_by: "id",
    },
    Table {
        name: "resolver_reports",
        columns: &[
            ("id", Text),
            ("at_ms", Int),
            ("key", Text),
            ("identifier", Text),
            ("category", Text),
            ("message", Text),
        ],
        order_by: "id",
    },
    Table {
        name: "organisations",
        columns: &[
            ("id", Text),
            ("tax_code", Text),
            ("province_code", Text),
            ("created_ms", Int),
            ("record", Text),
        ],
        order_by: "id",
    },
    Table {
        name: "company_prefixes",
        columns: &[("prefix", Text), ("org_id", Text)],
        order_by: "prefix",
    },
    Table {
        name: "organisation_glns",
        columns: &[("gln", Text), ("org_id", Text)],
        order_by: "gln",
    },
    Table {
        name: "products",
        columns: &[("gtin", Text), ("owner", Text), ("record", Text)],
        order_by: "gtin",
    },
    Table {
        name: "locations",
        columns: &[("id", Text), ("owner", Text), ("record", Text)],
        order_by: "id",
    },
    Table {
        name: "plots",
        columns: &[("id", Text), ("owner", Text), ("record", Text)],
        order_by: "id",
    },
    Table {
        name: "export_codes",
        columns: &[
            ("code", Text),
            ("owner", Text),
            ("province_code", Text),
            ("status", Text),
            ("record", Text),
        ],
        order_by: "code",
    },
    Table {
        name: "trading_partners",
        columns: &[("partner_id", Text), ("org_id", Text)],
        order_by: "partner_id, org_id",
    },
    Table {
        name: "users",
        columns: &[
            ("name", Text),
            ("password_hash", Text),
            ("role", Text),
            ("org_id", Text),
            ("province", Text),
            ("created_ms", Int),
            ("disabled", Int),
        ],
        order_by: "name",
    },
    Table {
        name: "sessions",
        columns: &[
            ("secret_sha256", Text),
            ("user_name", Text),
            ("created_ms", Int),
            ("expires_ms", Int),
        ],
        order_by: "secret_sha256",
    },
    Table {
        name: "api_tokens",
        columns: &[
            ("id", Text),
            ("secret_sha256", Text),
            ("name", Text),
            ("role", Text),
            ("org_id", Text),
            ("province", Text),
            ("scopes", Text),
            ("created_by", Text),
            ("created_ms", Int),
            ("expires_ms", Int),
            ("revoked_ms", Int),
            ("last_used_ms", Int),
        ],
        order_by: "id",
    },
    Table {
        name: "capture_job_owners",
        columns: &[("job_id", Text), ("org_id", Text)],
        order_by: "job_id",
    },
    Table {
        name: "named_query_owners",
        columns: &[("name", Text), ("owner", Text)],
        order_by: "name",
    },
    Table {
        name: "audit_log",
        columns: &[
            ("n", Int),
            ("at_ms", Int),
            ("actor", Text),
            ("role", Text),
            ("org_id", Text),
            ("province", Text),
            ("method", Text),
            ("path", Text),
            ("status", Int),
            ("source", Text),
        ],
        order_by: "n",
    },
    Table {
        name: "trace_records",
        columns: &[("seq", Int), ("record", Bytes)],
        order_by: "seq",
    },
    Table {
        name: "trace_nodes",
        columns: &[("node", Text), ("seq", Int)],
        order_by: "node, seq",
    },
    Table {
        name: "recalls",
        columns: &[
            ("id", Text),
            ("n", Int),
            ("state", Text),
            ("declared_ms", Int),
            ("declarer_org", Text),
            ("record", Text),
        ],
        order_by: "id",
    },
    Table {
        name: "recall_lots",
        columns: &[("gtin", Text), ("lot", Text), ("recall_id", Text)],
        order_by: "gtin, lot, recall_id",
    },
    Table {
        name: "recall_parties",
        columns: &[
            ("n", Int),
            ("recall_id", Text),
            ("org_id", Text),
            ("acknowledged_ms", Int),
            ("acknowledged_by", Text),
            ("note", Text),
        ],
        order_by: "n",
    },
    Table {
        name: "recall_notices",
        columns: &[
            ("n", Int),
            ("recall_id", Text),
            ("org_id", Text),
            ("kind", Text),
            ("at_ms", Int),
        ],
        order_by: "n",
    },
    Table {
        name: "recall_webhooks",
        columns: &[
            ("org_id", Text),
            ("url", Text),
            ("secret", Text),
            ("cursor_n", Int),
            ("failures", Int),
            ("last_error", Text),
            ("created_ms", Int),
        ],
        order_by: "org_id",
    },
];

/// The table called `name`.
pub fn table(name: &str) -> Option<&'static Table> {
    TABLES.iter().find(|t| t.name == name)
}

impl Table {
    /// `SELECT` of every column in dump order.
    pub(crate) fn select_sql(&self) -> String {
        format!(
            "SELECT {} FROM {} ORDER BY {}",
            self.column_list(),
            self.name,
            self.order_by
        )
    }

    /// `a, b, c`.
    pub(crate) fn column_list(&self) -> String {
        self.columns
            .iter()
            .map(|(c, _)| *c)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// One column value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// NULL.
    Null,
    /// Integer.
    Int(i64),
    /// Double.
    Real(f64),
    /// Text.
    Text(String),
    /// Bytes.
    Bytes(Vec<u8>),
}

/// One row of one table.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The table.
    pub table: &'static Table,
    /// Values, in the table's column order.
    pub values: Vec<Value>,
}

/// Rows counted per table, in [`TABLES`] order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// `(table, rows)`.
    pub tables: Vec<(&'static str, u64)>,
}

impl Summary {
    /// Counts one row of `table`.
    pub(crate) fn count(&mut self, table: &'static str) {
        match self.tables.iter_mut().find(|(t, _)| *t == table) {
            Some((_, n)) => *n += 1,
            None => self.tables.push((table, 1)),
        }
    }

    /// Rows of `table`.
    pub fn rows(&self, table: &str) -> u64 {
        self.tables
            .iter()
            .find(|(t, _)| *t == table)
            .map_or(0, |(_, n)| *n)
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .tables
            .iter()
            .map(|(t, n)| format!("{t}: {n}"))
            .collect();
        write!(f, "{}", parts.join(", "))
    }
}

/// Writes the first line of a dump.
pub(crate) fn write_header(out: &mut dyn Write, schema_version: i64) -> Result<(), StoreError> {
    let tables: Vec<Json> = TABLES
        .iter()
        .map(|t| json!({"name": t.name, "columns": t.columns.iter().map(|(c, _)| *c).collect::<Vec<_>>()}))
        .collect();
    let header = json!({
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "schemaVersion": schema_version,
        "tables": tables,
    });
    writeln!(out, "{header}").map_err(io_error)
}

/// Writes one row as a line.
pub(crate) fn write_row(out: &mut dyn Write, row: &Row) -> Result<(), StoreError> {
    let values: Vec<Json> = row
        .values
        .iter()
        .map(|v| match v {
            Value::Null => Json::Null,
            Value::Int(i) => json!(i),
            Value::Real(r) => json!(r),
            Value::Text(t) => json!(t),
            Value::Bytes(b) => json!(STANDARD.encode(b)),
        })
        .collect();
    writeln!(out, "{}", json!({"t": row.table.name, "r": values})).map_err(io_error)
}

/// Reads a dump: checks its header (format and a schema this build knows), then yields rows.
pub(crate) fn read(
    input: &mut dyn BufRead,
    newest_schema: i64,
) -> Result<impl Iterator<Item = Result<Row, StoreError>> + '_, StoreError> {
    let mut first = String::new();
    input.read_line(&mut first).map_err(io_error)?;
    let header: Json = serde_json::from_str(&first)
        .map_err(|e| bad(1, &format!("the first line is not a dump header: {e}")))?;
    if header["format"] != FORMAT || header["version"] != FORMAT_VERSION {
        return Err(bad(
            1,
            &format!("not a {FORMAT} version {FORMAT_VERSION} file"),
        ));
    }
    let schema = header["schemaVersion"].as_i64().unwrap_or(i64::MAX);
    if schema > newest_schema {
        return Err(bad(
            1,
            &format!(
                "the dump has schema version {schema}; this build knows up to {newest_schema}"
            ),
        ));
    }
    let rows = input
        .lines()
        .enumerate()
        .filter(|(_, line)| !matches!(line, Ok(l) if l.trim().is_empty()))
        .map(|(i, line)| parse_row(i + 2, &line.map_err(io_error)?));
    Ok(FacetUpgrade {
        rows,
        term: None,
        last_id: 0,
        pending: None,
    })
}

/// `facet_text` of dumps made before schema 700, when text facets were stored as
/// `(field_id, value, seq)`; read into today's `facet_terms` and `facet_postings`.
const LEGACY_FACET_TEXT: Table = Table {
    name: "facet_text",
    columns: &[("field_id", Int), ("value", Text), ("seq", Int)],
    order_by: "field_id, value, seq",
};

/// Turns legacy `facet_text` rows into terms and postings as they stream past. The dump
/// lists them in `(field_id, value, seq)` order, so each term's rows are contiguous: a
/// term row is emitted at the first of them, numbered in order, then one posting per row.
struct FacetUpgrade<I> {
    rows: I,
    /// The term of the previous legacy row, and its id.
    term: Option<(i64, String, i64)>,
    last_id: i64,
    /// A posting to emit after the term row just emitted.
    pending: Option<Row>,
}

impl<I: Iterator<Item = Result<Row, StoreError>>> Iterator for FacetUpgrade<I> {
    type Item = Result<Row, StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(row) = self.pending.take() {
            return Some(Ok(row));
        }
        let row = match self.rows.next()? {
            Ok(row) if row.table.name == LEGACY_FACET_TEXT.name => row,
            other => return Some(other),
        };
        let (Some(Value::Int(field_id)), Some(Value::Text(value)), Some(Value::Int(seq))) = (
            row.values.first().cloned(),
            row.values.get(1).cloned(),
            row.values.get(2).cloned(),
        ) else {
            return Some(Err(StoreError::Database(
                "dump: a facet_text row without field, value and seq".into(),
            )));
        };
        let (postings, terms) = match (table("facet_postings"), table("facet_terms")) {
            (Some(p), Some(t)) => (p, t),
            _ => return Some(Err(StoreError::Database("dump: no facet tables".into()))),
        };
        let same = matches!(&self.term, Some((f, v, _)) if *f == field_id && *v == value);
        if !same {
            self.last_id += 1;
            self.term = Some((field_id, value.clone(), self.last_id));
        }
        let term_id = self.term.as_ref().map_or(self.last_id, |t| t.2);
        let posting = Row {
            table: postings,
            values: vec![Value::Int(term_id), Value::Int(seq)],
        };
        if same {
            return Some(Ok(posting));
        }
        self.pending = Some(posting);
        Some(Ok(Row {
            table: terms,
            values: vec![
                Value::Int(term_id),
                Value::Int(field_id),
                Value::Text(value),
            ],
        }))
    }
}

fn parse_row(line_no: usize, line: &str) -> Result<Row, StoreError> {
    let v: Json = serde_json::from_str(line).map_err(|e| bad(line_no, &e.to_string()))?;
    let name = v["t"]
        .as_str()
        .ok_or_else(|| bad(line_no, "no table name"))?;
    let table = table(name)
        .or((name == LEGACY_FACET_TEXT.name).then_some(&LEGACY_FACET_TEXT))
        .ok_or_else(|| bad(line_no, &format!("unknown table {name}")))?;
    let raw = v["r"]
        .as_array()
        .ok_or_else(|| bad(line_no, "no row values"))?;
    // Dumps before schema 710 have no `capture_jobs.appended` (it is NULL for them).
    let legacy_job = name == "capture_jobs" && raw.len() + 1 == table.columns.len();
    if raw.len() != table.columns.len() && !legacy_job {
        return Err(bad(
            line_no,
            &format!(
                "{name} has {} columns, the row {}",
                table.columns.len(),
                raw.len()
            ),
        ));
    }
    let mut values = Vec::with_capacity(raw.len());
    for ((column, ty), value) in table.columns.iter().zip(raw) {
        let wrong = || bad(line_no, &format!("{name}.{column} is not {ty:?}: {value}"));
        values.push(match (ty, value) {
            (_, Json::Null) => Value::Null,
            (Int, v) => Value::Int(v.as_i64().ok_or_else(wrong)?),
            (Real, v) => Value::Real(v.as_f64().ok_or_else(wrong)?),
            (Text, Json::String(s)) => Value::Text(s.clone()),
            // Trace records were JSON text before schema 720 (base64 never starts so).
            (Bytes, Json::String(s)) if name == "trace_records" && s.starts_with('{') => {
                Value::Bytes(s.as_bytes().to_vec())
            }
            (Bytes, Json::String(s)) => Value::Bytes(STANDARD.decode(s).map_err(|_| wrong())?),
            _ => return Err(wrong()),
        });
    }
    if legacy_job {
        values.push(Value::Null);
    }
    Ok(Row { table, values })
}

fn bad(line: usize, what: &str) -> StoreError {
    StoreError::Database(format!("dump line {line}: {what}"))
}

fn io_error(e: std::io::Error) -> StoreError {
    StoreError::Database(format!("dump I/O: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_round_trip_through_lines() {
        let jobs = table("capture_jobs").unwrap();
        let row = Row {
            table: jobs,
            values: vec![
                Value::Int(3),
                Value::Text("id\n\"x\"".into()),
                Value::Int(2),
                Value::Int(0),
                Value::Int(-5),
                Value::Null,
                Value::Int(1),
                Value::Text("[]".into()),
                Value::Int(7),
                Value::Bytes(vec![0, 255, 10]),
                Value::Text("{\"stored\":[1]}".into()),
            ],
        };
        let num = Row {
            table: table("facet_num").unwrap(),
            values: vec![Value::Int(1), Value::Real(3.0), Value::Int(2)],
        };
        let mut out = Vec::new();
        write_header(&mut out, 1).unwrap();
        write_row(&mut out, &row).unwrap();
        write_row(&mut out, &num).unwrap();
        let mut input = &out[..];
        let rows: Vec<Row> = read(&mut input, 1)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(rows, vec![row, num]);
    }

    /// A dump made before schema 710 has capture jobs without `appended`: it reads as NULL.
    #[test]
    fn capture_jobs_of_old_dumps_have_no_recorded_append() {
        let mut dump = Vec::new();
        write_header(&mut dump, 700).unwrap();
        dump.extend_from_slice(
            b"{\"t\":\"capture_jobs\",\"r\":[1,\"j\",2,0,5,6,1,null,3,\"AA==\"]}\n",
        );
        let rows: Vec<Vec<Value>> = read(&mut &dump[..], 720)
            .unwrap()
            .map(|r| r.map(|r| r.values))
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(rows[0].len(), 11);
        assert_eq!(rows[0][10], Value::Null);
        assert_eq!(rows[0][9], Value::Bytes(vec![0]));
    }

    /// A dump made before schema 720 carries trace records as JSON text: they come back as
    /// the bytes of that text (which the trace index still reads); today's are base64.
    #[test]
    fn trace_records_of_old_dumps_are_their_json_bytes() {
        let mut dump = Vec::new();
        write_header(&mut dump, 710).unwrap();
        dump.extend_from_slice(
            b"{\"t\":\"trace_records\",\"r\":[1,\"{\\\"id\\\":\\\"e1\\\"}\"]}\n\
              {\"t\":\"trace_records\",\"r\":[2,\"AQID\"]}\n",
        );
        let rows: Vec<Vec<Value>> = read(&mut &dump[..], 720)
            .unwrap()
            .map(|r| r.map(|r| r.values))
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            rows,
            vec![
                vec![Value::Int(1), Value::Bytes(br#"{"id":"e1"}"#.to_vec())],
                vec![Value::Int(2), Value::Bytes(vec![1, 2, 3])],
            ]
        );
    }

    /// A dump made before schema 700 restores its text facets as terms and postings.
    #[test]
    fn legacy_facet_rows_become_terms_and_postings() {
        let mut dump = Vec::new();
        write_header(&mut dump, 601).unwrap();
        dump.extend_from_slice(
            b"{\"t\":\"facet_text\",\"r\":[1,\"urn:a\",1]}\n\
              {\"t\":\"facet_text\",\"r\":[1,\"urn:a\",2]}\n\
              {\"t\":\"facet_text\",\"r\":[1,\"urn:b\",2]}\n\
              {\"t\":\"facet_text\",\"r\":[2,\"urn:a\",3]}\n\
              {\"t\":\"facet_num\",\"r\":[3,5.0,3]}\n",
        );
        let rows: Vec<(&str, Vec<Value>)> = read(&mut &dump[..], 700)
            .unwrap()
            .map(|r| r.map(|r| (r.table.name, r.values)))
            .collect::<Result<_, _>>()
            .unwrap();
        let (t, i) = (|s: &str| Value::Text(s.into()), Value::Int);
        assert_eq!(
            rows,
            vec![
                ("facet_terms", vec![i(1), i(1), t("urn:a")]),
                ("facet_postings", vec![i(1), i(1)]),
                ("facet_postings", vec![i(1), i(2)]),
                ("facet_terms", vec![i(2), i(1), t("urn:b")]),
                ("facet_postings", vec![i(2), i(2)]),
                ("facet_terms", vec![i(3), i(2), t("urn:a")]),
                ("facet_postings", vec![i(3), i(3)]),
                ("facet_num", vec![i(3), Value::Real(5.0), i(3)]),
            ]
        );
    }

    #[test]
    fn foreign_or_newer_or_broken_dumps_are_refused() {
        let mut newer = Vec::new();
        write_header(&mut newer, 99).unwrap();
        assert!(read(&mut &newer[..], 1).is_err());
        assert!(read(&mut &b"{\"format\":\"other\"}\n"[..], 1).is_err());
        let mut dump = Vec::new();
        write_header(&mut dump, 1).unwrap();
        dump.extend_from_slice(b"{\"t\":\"events\",\"r\":[1]}\n{\"t\":\"nope\",\"r\":[]}\n");
        let results: Vec<_> = read(&mut &dump[..], 1).unwrap().collect();
        assert!(matches!(&results[0], Err(StoreError::Database(m)) if m.contains("line 2")));
        assert!(
            matches!(&results[1], Err(StoreError::Database(m)) if m.contains("unknown table nope"))
        );
    }
}
