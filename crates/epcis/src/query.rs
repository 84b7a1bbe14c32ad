//! SimpleEventQuery: query parameters (REST query string or a named query's
//! definition) turned into a typed [`Query`] over facets, which the store executes.

use crate::cbv::Vocab;
use crate::facet::{normalize_cbv, normalize_id};
use crate::lexical::{is_absolute_uri, parse_time_ms};
use crate::model::{Action, EventType};

/// A comparison for numbers and times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `EQ_` on a number.
    Eq,
    /// `GT_`.
    Gt,
    /// `GE_`.
    Ge,
    /// `LT_`.
    Lt,
    /// `LE_`.
    Le,
}

/// A time column of the event itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeColumn {
    /// `eventTime`.
    EventTime,
    /// `recordTime`.
    RecordTime,
}

/// One condition an event must satisfy; a [`Query`] is the conjunction of its conditions.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// The event's type is one of these.
    EventTypeIn(Vec<EventType>),
    /// The event's `eventID` is one of these.
    EventIdIn(Vec<String>),
    /// The event has a text facet in one of `fields` whose value equals one of `values`.
    TextIn {
        /// Facet field names.
        fields: Vec<String>,
        /// Accepted values (canonical form).
        values: Vec<String>,
    },
    /// The event has a text facet in one of `fields` whose value matches one of these SQL
    /// `LIKE` patterns (`_` one character, `%` any run, `\` escapes); used for EPC patterns.
    TextLike {
        /// Facet field names.
        fields: Vec<String>,
        /// `LIKE` patterns.
        patterns: Vec<String>,
    },
    /// The event has at least one facet (text or number) in one of `fields` (`EXISTS_`).
    Exists {
        /// Facet field names.
        fields: Vec<String>,
    },
    /// The event has a number facet `field` with `value op operand`.
    Number {
        /// Facet field name.
        field: String,
        /// Comparison.
        op: CmpOp,
        /// Right-hand side; times are epoch milliseconds.
        operand: f64,
    },
    /// A comparison on the event's own time column (epoch milliseconds).
    Time {
        /// Which column.
        column: TimeColumn,
        /// Comparison (`Ge` or `Lt` from the standard; the others are allowed).
        op: CmpOp,
        /// Epoch milliseconds.
        operand_ms: i64,
    },
}

/// Sort key of the result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OrderBy {
    /// Capture order (sequence number); the default.
    #[default]
    Sequence,
    /// `orderBy=eventTime`.
    EventTime,
    /// `orderBy=recordTime`.
    RecordTime,
}

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    /// Ascending (default for sequence order).
    #[default]
    Asc,
    /// Descending (`orderDirection=DESC`, the standard's default when `orderBy` is given).
    Desc,
}

/// A typed SimpleEventQuery.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Query {
    /// All must hold.
    pub conditions: Vec<Condition>,
    /// Sort key.
    pub order_by: OrderBy,
    /// Sort direction.
    pub direction: Direction,
    /// `eventCountLimit`: return at most this many events (truncate silently).
    pub event_count_limit: Option<usize>,
    /// `maxEventCount`: if more than this many events match, the query fails with QueryTooLargeException.
    pub max_event_count: Option<usize>,
}

/// A query parameter that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("query parameter {param}: {message}")]
pub struct QueryParamError {
    /// The parameter name.
    pub param: String,
    /// What is wrong.
    pub message: String,
}

/// Builds a [`Query`] from SimpleEventQuery parameters (REST query string pairs; a
/// parameter may repeat, and a value may be a `|`-separated list). Paging parameters
/// (`perPage`, `nextPageToken`) are the caller's and must not be passed.
///
/// Each occurrence of a parameter is one condition, so a repeated parameter must hold for
/// every occurrence, while the values of one occurrence are alternatives. Values are
/// normalised exactly as facets are (identifiers to canonical Digital Links, CBV values to
/// Web URIs, times to epoch milliseconds); extension and ILMD names are matched as written
/// in the parameter, which must therefore be the expanded name (`EQ_ILMD_http://ns.example.com/epcis/lot`)
/// or, for a document without a declaration of the prefix, the name as written there.
/// `WD_readPoint`/`WD_bizLocation` have no master data to consult: they match the location
/// itself and, for a GLN without extension, every SGLN extension of it (`…/414/{gln}/254/{ext}`).
/// `eventCountLimit` without `orderBy` counts in capture order.
pub fn from_params(params: &[(String, String)]) -> Result<Query, QueryParamError> {
    let mut b = Builder::default();
    for (name, value) in params {
        let values: Vec<&str> = value.split('|').collect();
        b.add(name, &values)?;
    }
    b.finish()
}

/// Builds a [`Query`] from a named query's definition (the `query` object of
/// `POST /queries`: parameter name → value or array of values).
pub fn from_definition(definition: &serde_json::Value) -> Result<Query, QueryParamError> {
    use serde_json::Value;
    let Some(obj) = definition.as_object() else {
        return Err(QueryParamError {
            param: "query".into(),
            message: "expected an object of query parameters".into(),
        });
    };
    let mut b = Builder::default();
    for (name, value) in obj {
        let scalar = |v: &Value| -> Result<String, QueryParamError> {
            match v {
                Value::String(s) => Ok(s.clone()),
                Value::Number(n) => Ok(n.to_string()),
                Value::Bool(x) => Ok(x.to_string()),
                _ => Err(err(
                    name,
                    "expected a string, number or boolean (or an array of them)",
                )),
            }
        };
        let texts: Vec<String> = match value {
            Value::Array(items) => items.iter().map(scalar).collect::<Result<_, _>>()?,
            Value::Null => Vec::new(),
            other => scalar(other)?.split('|').map(str::to_owned).collect(),
        };
        let values: Vec<&str> = texts.iter().map(String::as_str).collect();
        b.add(name, &values)?;
    }
    b.finish()
}

fn err(param: &str, message: impl Into<String>) -> QueryParamError {
    QueryParamError {
        param: param.into(),
        message: message.into(),
    }
}

/// Fields an EPC `MATCH_` parameter looks in.
fn match_fields(name: &str) -> Option<&'static [&'static str]> {
    Some(match name {
        "MATCH_epc" => &["epc", "childEPC"],
        "MATCH_parentID" => &["parentID"],
        "MATCH_inputEPC" => &["inputEPC"],
        "MATCH_outputEPC" => &["outputEPC"],
        "MATCH_anyEPC" => &["epc", "childEPC", "parentID", "inputEPC", "outputEPC"],
        "MATCH_epcClass" => &["epcClass", "childEPCClass"],
        "MATCH_inputEPCClass" => &["inputEPCClass"],
        "MATCH_outputEPCClass" => &["outputEPCClass"],
        "MATCH_anyEPCClass" => &[
            "epcClass",
            "childEPCClass",
            "inputEPCClass",
            "outputEPCClass",
        ],
        _ => return None,
    })
}

/// How the values of an `EQ_` parameter on a text facet are normalised.
#[derive(Clone, Copy)]
enum Norm {
    AsIs,
    Uri,
    Id,
    Cbv(Vocab),
    Action,
    Boolean,
    Hex,
}

/// `EQ_` parameters on one text facet: parameter → (field, normalisation).
fn eq_text(name: &str) -> Option<(&'static str, Norm)> {
    Some(match name {
        "EQ_action" => ("action", Norm::Action),
        "EQ_bizStep" => ("bizStep", Norm::Cbv(Vocab::BizStep)),
        "EQ_disposition" => ("disposition", Norm::Cbv(Vocab::Disposition)),
        "EQ_persistentDisposition_set" => {
            ("persistentDisposition.set", Norm::Cbv(Vocab::Disposition))
        }
        "EQ_persistentDisposition_unset" => {
            ("persistentDisposition.unset", Norm::Cbv(Vocab::Disposition))
        }
        "EQ_readPoint" => ("readPoint", Norm::Id),
        "EQ_bizLocation" => ("bizLocation", Norm::Id),
        "EQ_transformationID" => ("transformationID", Norm::Id),
        "EQ_errorReason" => ("errorReason", Norm::Cbv(Vocab::ErrorReason)),
        "EQ_correctiveEventID" => ("correctiveEventID", Norm::Uri),
        "EQ_certificationInfo" => ("certificationInfo", Norm::Uri),
        "EQ_type" => ("sensor.type", Norm::Cbv(Vocab::MeasurementType)),
        "EQ_exception" => ("sensor.exception", Norm::Cbv(Vocab::SensorAlert)),
        "EQ_component" => ("sensor.component", Norm::Cbv(Vocab::Component)),
        "EQ_deviceID" => ("sensor.deviceID", Norm::Id),
        "EQ_deviceMetadata" => ("sensor.deviceMetadata", Norm::Uri),
        "EQ_rawData" => ("sensor.rawData", Norm::Uri),
        "EQ_dataProcessingMethod" => ("sensor.dataProcessingMethod", Norm::Uri),
        "EQ_microorganism" => ("sensor.microorganism", Norm::Uri),
        "EQ_chemicalSubstance" => ("sensor.chemicalSubstance", Norm::Uri),
        "EQ_coordinateReferenceSystem" => ("sensor.coordinateReferenceSystem", Norm::Uri),
        "EQ_bizRules" => ("sensor.bizRules", Norm::Uri),
        "EQ_stringValue" => ("sensor.stringValue", Norm::AsIs),
        "EQ_booleanValue" => ("sensor.booleanValue", Norm::Boolean),
        "EQ_hexBinaryValue" => ("sensor.hexBinaryValue", Norm::Hex),
        "EQ_uriValue" => ("sensor.uriValue", Norm::Uri),
        "EQ_uom" => ("sensor.uom", Norm::AsIs),
        _ => return None,
    })
}

/// Time parameters on number facets: parameter → (field, op).
fn time_facet(name: &str) -> Option<(&'static str, CmpOp)> {
    Some(match name {
        "GE_errorDeclarationTime" => ("errorDeclarationTime", CmpOp::Ge),
        "LT_errorDeclarationTime" => ("errorDeclarationTime", CmpOp::Lt),
        "GE_time" => ("sensor.time", CmpOp::Ge),
        "LT_time" => ("sensor.time", CmpOp::Lt),
        "GE_startTime" => ("sensor.startTime", CmpOp::Ge),
        "LT_startTime" => ("sensor.startTime", CmpOp::Lt),
        "GE_endTime" => ("sensor.endTime", CmpOp::Ge),
        "LT_endTime" => ("sensor.endTime", CmpOp::Lt),
        _ => return None,
    })
}

const SENSOR_MEASURES: &[&str] = &[
    "value",
    "minValue",
    "maxValue",
    "meanValue",
    "sDev",
    "percRank",
    "percValue",
];

/// Splits `EQ_rest` etc. into the comparison and the rest.
fn split_op(name: &str) -> Option<(CmpOp, &str)> {
    let (op, rest) = name.split_once('_')?;
    let op = match op {
        "EQ" => CmpOp::Eq,
        "GT" => CmpOp::Gt,
        "GE" => CmpOp::Ge,
        "LT" => CmpOp::Lt,
        "LE" => CmpOp::Le,
        _ => return None,
    };
    Some((op, rest))
}

/// Escapes a literal for a SQL `LIKE` pattern (`\` is the escape character).
fn like_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[derive(Default)]
struct Builder {
    conditions: Vec<Condition>,
    order_by: Option<OrderBy>,
    direction: Option<Direction>,
    event_count_limit: Option<usize>,
    max_event_count: Option<usize>,
}

impl Builder {
    fn add(&mut self, name: &str, raw: &[&str]) -> Result<(), QueryParamError> {
        let values: Vec<&str> = raw
            .iter()
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
            .collect();
        if name.starts_with("EXISTS_") {
            return self.exists(name);
        }
        if values.is_empty() {
            return Err(err(name, "needs a value"));
        }
        match name {
            "perPage" | "nextPageToken" => {
                return Err(err(
                    name,
                    "paging is handled by the caller, not part of the query",
                ))
            }
            "eventType" => {
                let mut types = Vec::with_capacity(values.len());
                for v in &values {
                    match EventType::parse(v) {
                        Some(t) => types.push(t),
                        // An extension event type: valid, but never stored here, so it matches nothing.
                        None if is_absolute_uri(v) => {}
                        None => return Err(err(name, format!("`{v}` is not an event type"))),
                    }
                }
                self.conditions.push(Condition::EventTypeIn(types));
            }
            "GE_eventTime" | "LT_eventTime" | "GE_recordTime" | "LT_recordTime" => {
                let column = if name.ends_with("eventTime") {
                    TimeColumn::EventTime
                } else {
                    TimeColumn::RecordTime
                };
                let op = if name.starts_with("GE_") {
                    CmpOp::Ge
                } else {
                    CmpOp::Lt
                };
                let operand_ms = time_value(name, &values)?;
                self.conditions.push(Condition::Time {
                    column,
                    op,
                    operand_ms,
                });
            }
            "EQ_eventID" => self.conditions.push(Condition::EventIdIn(
                values.iter().map(|v| v.to_string()).collect(),
            )),
            "WD_readPoint" | "WD_bizLocation" => {
                let field = &name[3..];
                self.within(name, field, &values)?;
            }
            "orderBy" => {
                let order = match one(name, &values)? {
                    "eventTime" => OrderBy::EventTime,
                    "recordTime" => OrderBy::RecordTime,
                    other => {
                        return Err(err(
                            name,
                            format!("cannot order by `{other}`; use eventTime or recordTime"),
                        ))
                    }
                };
                set_once(name, &mut self.order_by, order)?;
            }
            "orderDirection" => {
                let dir = match one(name, &values)? {
                    "ASC" => Direction::Asc,
                    "DESC" => Direction::Desc,
                    other => return Err(err(name, format!("`{other}` is not ASC or DESC"))),
                };
                set_once(name, &mut self.direction, dir)?;
            }
            "eventCountLimit" => {
                let n = count(name, &values)?;
                set_once(name, &mut self.event_count_limit, n)?;
            }
            "maxEventCount" => {
                let n = count(name, &values)?;
                set_once(name, &mut self.max_event_count, n)?;
            }
            _ => return self.add_family(name, &values),
        }
        Ok(())
    }

    fn add_family(&mut self, name: &str, values: &[&str]) -> Result<(), QueryParamError> {
        if let Some((field, norm)) = eq_text(name) {
            let values = values
                .iter()
                .map(|v| normalize(name, norm, v))
                .collect::<Result<_, _>>()?;
            self.conditions.push(Condition::TextIn {
                fields: vec![field.into()],
                values,
            });
            return Ok(());
        }
        if let Some(fields) = match_fields(name) {
            return self.epc_match(name, fields, values);
        }
        if let Some((field, op)) = time_facet(name) {
            let operand = time_value(name, values)? as f64;
            self.conditions.push(Condition::Number {
                field: field.into(),
                op,
                operand,
            });
            return Ok(());
        }
        let Some((op, rest)) = split_op(name) else {
            return Err(unknown(name));
        };
        if rest == "quantity" {
            return self.number(name, "quantity", op, values);
        }
        let (measure, uom) = rest
            .split_once('_')
            .map_or((rest, None), |(m, u)| (m, Some(u)));
        if SENSOR_MEASURES.contains(&measure) && !rest.contains(':') {
            let field = match uom {
                Some(uom) => format!("sensor.{measure}:{uom}"),
                None => format!("sensor.{measure}"),
            };
            return self.number(name, &field, op, values);
        }
        if op == CmpOp::Eq {
            for (prefix, field_prefix, vocab) in [
                (
                    "bizTransaction_",
                    "bizTransaction",
                    Vocab::BizTransactionType,
                ),
                ("source_", "source", Vocab::SourceDestType),
                ("destination_", "destination", Vocab::SourceDestType),
            ] {
                if let Some(kind) = rest.strip_prefix(prefix) {
                    let field = format!("{field_prefix}:{}", normalize_cbv(vocab, kind));
                    let values = values
                        .iter()
                        .map(|v| normalize(name, Norm::Id, v))
                        .collect::<Result<_, _>>()?;
                    self.conditions.push(Condition::TextIn {
                        fields: vec![field],
                        values,
                    });
                    return Ok(());
                }
            }
        }
        let field = extension_field(name, rest)?;
        if op == CmpOp::Eq {
            let values = values.iter().map(|v| v.to_string()).collect();
            self.conditions.push(Condition::TextIn {
                fields: vec![field],
                values,
            });
            Ok(())
        } else {
            self.number(name, &field, op, values)
        }
    }

    fn exists(&mut self, name: &str) -> Result<(), QueryParamError> {
        let rest = &name["EXISTS_".len()..];
        let field = if rest == "errorDeclaration" {
            "errorDeclaration".to_owned()
        } else {
            extension_field(name, rest)?
        };
        self.conditions.push(Condition::Exists {
            fields: vec![field],
        });
        Ok(())
    }

    fn number(
        &mut self,
        name: &str,
        field: &str,
        op: CmpOp,
        values: &[&str],
    ) -> Result<(), QueryParamError> {
        let v = one(name, values)?;
        let operand = match v.parse::<f64>() {
            Ok(n) if n.is_finite() => n,
            _ => match parse_time_ms(v) {
                Ok(ms) => ms as f64,
                Err(_) => {
                    return Err(err(
                        name,
                        format!("`{v}` is not a number (or a date-time with a time zone)"),
                    ))
                }
            },
        };
        self.conditions.push(Condition::Number {
            field: field.into(),
            op,
            operand,
        });
        Ok(())
    }

    fn epc_match(
        &mut self,
        name: &str,
        fields: &[&str],
        values: &[&str],
    ) -> Result<(), QueryParamError> {
        let mut exact = Vec::new();
        let mut patterns = Vec::new();
        for v in values {
            match gs1::pattern_to_like(v) {
                Some(Ok(p)) => patterns.push(p),
                Some(Err(e)) => {
                    return Err(err(name, format!("`{v}` is not a valid EPC pattern: {e}")))
                }
                None => exact.push(normalize(name, Norm::Id, v)?),
            }
        }
        self.text_or_like(fields, exact, patterns);
        Ok(())
    }

    fn within(&mut self, name: &str, field: &str, values: &[&str]) -> Result<(), QueryParamError> {
        let mut exact = Vec::new();
        let mut patterns = Vec::new();
        for v in values {
            let id = normalize(name, Norm::Id, v)?;
            if id.starts_with("https://id.gs1.org/414/") && !id.contains("/254/") {
                patterns.push(format!("{}/254/%", like_literal(&id)));
            }
            exact.push(id);
        }
        self.text_or_like(&[field], exact, patterns);
        Ok(())
    }

    /// Exact values alone make a `TextIn`; with any pattern, everything becomes a `TextLike`.
    fn text_or_like(&mut self, fields: &[&str], exact: Vec<String>, mut patterns: Vec<String>) {
        let fields: Vec<String> = fields.iter().map(|f| f.to_string()).collect();
        if patterns.is_empty() {
            self.conditions.push(Condition::TextIn {
                fields,
                values: exact,
            });
        } else {
            patterns.extend(exact.iter().map(|e| like_literal(e)));
            self.conditions
                .push(Condition::TextLike { fields, patterns });
        }
    }

    fn finish(self) -> Result<Query, QueryParamError> {
        if self.event_count_limit.is_some() && self.max_event_count.is_some() {
            return Err(err(
                "eventCountLimit",
                "cannot be combined with maxEventCount",
            ));
        }
        let order_by = self.order_by.unwrap_or_default();
        let direction = self.direction.unwrap_or(if order_by == OrderBy::Sequence {
            Direction::Asc
        } else {
            Direction::Desc
        });
        Ok(Query {
            conditions: self.conditions,
            order_by,
            direction,
            event_count_limit: self.event_count_limit,
            max_event_count: self.max_event_count,
        })
    }
}

fn unknown(name: &str) -> QueryParamError {
    err(name, "unknown query parameter")
}

/// The facet field of an ILMD or extension parameter (`ILMD_x`, `INNER_ILMD_x`, `INNER_x`, `x`);
/// the name must be namespaced.
fn extension_field(name: &str, rest: &str) -> Result<String, QueryParamError> {
    let (prefix, ext) = if let Some(n) = rest.strip_prefix("INNER_ILMD_") {
        ("inner-ilmd", n)
    } else if let Some(n) = rest.strip_prefix("ILMD_") {
        ("ilmd", n)
    } else if let Some(n) = rest.strip_prefix("INNER_") {
        ("inner", n)
    } else {
        ("ext", rest)
    };
    if ext.contains(':') && is_absolute_uri(ext) {
        Ok(format!("{prefix}:{ext}"))
    } else {
        Err(unknown(name))
    }
}

fn normalize(name: &str, norm: Norm, v: &str) -> Result<String, QueryParamError> {
    let need_uri = |v: &str| {
        if is_absolute_uri(v) {
            Ok(())
        } else {
            Err(err(name, format!("`{v}` is not an absolute URI")))
        }
    };
    match norm {
        Norm::AsIs => Ok(v.to_owned()),
        Norm::Uri => need_uri(v).map(|()| v.to_owned()),
        Norm::Id => {
            need_uri(v)?;
            Ok(normalize_id(v))
        }
        Norm::Cbv(vocab) => match crate::cbv::classify(vocab, v) {
            crate::cbv::Term::Standard(_) => Ok(normalize_cbv(vocab, v)),
            crate::cbv::Term::UnknownStandard => Err(err(
                name,
                format!("`{v}` is not a CBV 2.0 {}", vocab.label()),
            )),
            crate::cbv::Term::Other => {
                need_uri(v).map_err(|_| {
                    err(
                        name,
                        format!("`{v}` is neither a CBV 2.0 {} nor a URI", vocab.label()),
                    )
                })?;
                Ok(v.to_owned())
            }
        },
        Norm::Action => match Action::parse(v) {
            Some(a) => Ok(a.as_str().to_owned()),
            None => Err(err(name, format!("`{v}` is not ADD, OBSERVE or DELETE"))),
        },
        Norm::Boolean => match v {
            "true" | "false" => Ok(v.to_owned()),
            _ => Err(err(name, format!("`{v}` is not true or false"))),
        },
        Norm::Hex => {
            if v.bytes().all(|b| b.is_ascii_hexdigit()) {
                Ok(v.to_ascii_uppercase())
            } else {
                Err(err(name, format!("`{v}` is not hexadecimal")))
            }
        }
    }
}

fn one<'v>(name: &str, values: &[&'v str]) -> Result<&'v str, QueryParamError> {
    match values {
        [v] => Ok(v),
        _ => Err(err(name, "takes exactly one value")),
    }
}

fn time_value(name: &str, values: &[&str]) -> Result<i64, QueryParamError> {
    parse_time_ms(one(name, values)?).map_err(|m| err(name, m))
}

fn count(name: &str, values: &[&str]) -> Result<usize, QueryParamError> {
    let v = one(name, values)?;
    v.parse::<usize>()
        .map_err(|_| err(name, format!("`{v}` is not a non-negative integer")))
}

fn set_once<T>(name: &str, slot: &mut Option<T>, value: T) -> Result<(), QueryParamError> {
    if slot.is_some() {
        return Err(err(name, "given more than once"));
    }
    *slot = Some(value);
    Ok(())
}
