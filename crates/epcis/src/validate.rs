//! Reads an event's JSON-LD object into the typed [`EventView`], checking every standard
//! field on the way: JSON types, required fields per event type, times with zones, CBV
//! values, URIs and GS1 identifiers. One pass over the object; every problem is reported
//! with its JSON pointer, not just the first.

use serde_json::{Map, Value};

use crate::cbv::{self, Term, Vocab};
use crate::document::FieldError;
use crate::ids::CanonicalIds;
use crate::lexical::{claims_gs1, is_absolute_uri, is_tz_offset, parse_time_ms};
use crate::model::*;
use crate::path::Path;

/// Collects the errors of one event.
struct Reader {
    errors: Vec<FieldError>,
    /// False when re-reading an already validated event: skip the costly GS1 checks.
    gs1_checks: bool,
    /// The Digital Links the GS1 checks computed, kept for the hash, facets and trace record.
    digital_links: DigitalLinks,
}

/// Identifiers as written with their canonical Digital Links.
type DigitalLinks = Vec<(Box<str>, Box<str>)>;

impl Reader {
    fn err(&mut self, p: &Path, message: impl Into<String>) {
        self.errors.push(FieldError {
            pointer: p.render(),
            message: message.into(),
        });
    }

    fn missing(&mut self, parent: &Path, name: &str, why: &str) {
        let p = parent.key(name);
        self.err(&p, format!("`{name}` is required{why}"));
    }

    fn str<'a>(&mut self, v: &'a Value, p: &Path) -> Option<&'a str> {
        match v {
            Value::String(s) => Some(s),
            other => {
                self.err(p, format!("expected a string, found {}", kind(other)));
                None
            }
        }
    }

    fn uri<'a>(&mut self, v: &'a Value, p: &Path) -> Option<&'a str> {
        let s = self.str(v, p)?;
        if is_absolute_uri(s) {
            Some(s)
        } else {
            self.err(p, format!("`{s}` is not an absolute URI"));
            None
        }
    }

    /// An identifier: an absolute URI, and when it claims to be a GS1 identifier (EPC URN or
    /// Digital Link), one that `gs1` can read (syntax, check digit).
    fn id<'a>(&mut self, v: &'a Value, p: &Path) -> Option<&'a str> {
        let s = self.uri(v, p)?;
        if self.gs1_checks && claims_gs1(s) {
            match gs1::to_digital_link(s) {
                Ok(dl) => self.digital_links.push((s.into(), dl.into_boxed_str())),
                Err(e) => {
                    self.err(p, format!("`{s}` is not a valid GS1 identifier: {e}"));
                    return None;
                }
            }
        }
        Some(s)
    }

    fn time<'a>(&mut self, v: &'a Value, p: &Path) -> Option<Timestamp<'a>> {
        let text = self.str(v, p)?;
        match parse_time_ms(text) {
            Ok(epoch_ms) => Some(Timestamp { text, epoch_ms }),
            Err(m) => {
                self.err(p, m);
                None
            }
        }
    }

    fn number(&mut self, v: &Value, p: &Path) -> Option<f64> {
        match v.as_f64() {
            Some(n) if v.is_number() => Some(n),
            _ => {
                self.err(p, format!("expected a number, found {}", kind(v)));
                None
            }
        }
    }

    fn boolean(&mut self, v: &Value, p: &Path) -> Option<bool> {
        match v {
            Value::Bool(b) => Some(*b),
            other => {
                self.err(p, format!("expected true or false, found {}", kind(other)));
                None
            }
        }
    }

    fn array<'a>(&mut self, v: &'a Value, p: &Path) -> Option<&'a [Value]> {
        match v {
            Value::Array(a) => Some(a),
            other => {
                self.err(p, format!("expected an array, found {}", kind(other)));
                None
            }
        }
    }

    fn object<'a>(&mut self, v: &'a Value, p: &Path) -> Option<&'a Map<String, Value>> {
        match v {
            Value::Object(o) => Some(o),
            other => {
                self.err(p, format!("expected an object, found {}", kind(other)));
                None
            }
        }
    }

    fn id_list<'a>(&mut self, v: &'a Value, p: &Path) -> Vec<&'a str> {
        let Some(items) = self.array(v, p) else {
            return Vec::new();
        };
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            if let Some(id) = self.id(item, &p.index(i)) {
                out.push(id);
            }
        }
        out
    }

    /// A CBV value: a standard value in any spelling, or a user value that is a URI.
    fn cbv<'a>(&mut self, vocab: Vocab, v: &'a Value, p: &Path) -> Option<&'a str> {
        let s = self.str(v, p)?;
        match cbv::classify(vocab, s) {
            Term::Standard(_) => Some(s),
            Term::UnknownStandard => {
                self.err(p, format!("`{s}` is not a CBV 2.0 {}", vocab.label()));
                None
            }
            Term::Other if is_absolute_uri(s) => Some(s),
            Term::Other => {
                self.err(
                    p,
                    format!("`{s}` is neither a CBV 2.0 {} nor a URI", vocab.label()),
                );
                None
            }
        }
    }

    /// A member that is not a standard field: accepted as an extension when namespaced.
    fn extension<'a>(&mut self, key: &'a str, v: &'a Value, p: &Path, into: &mut Extensions<'a>) {
        if key.contains(':') {
            into.push((key, v));
        } else {
            let p = p.key(key);
            self.err(
                &p,
                format!(
                    "unknown field `{key}`; extension fields must be namespaced (`prefix:{key}`)"
                ),
            );
        }
    }

    fn quantity_list<'a>(&mut self, v: &'a Value, p: &Path) -> Vec<QuantityElement<'a>> {
        let Some(items) = self.array(v, p) else {
            return Vec::new();
        };
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let ip = p.index(i);
            let Some(obj) = self.object(item, &ip) else {
                continue;
            };
            let (mut epc_class, mut quantity, mut uom) = (None, None, None);
            for (k, v) in obj {
                let kp = ip.key(k);
                match k.as_str() {
                    "epcClass" => epc_class = self.id(v, &kp),
                    "quantity" => quantity = self.number(v, &kp),
                    "uom" => {
                        uom = self.str(v, &kp);
                        if let Some(u) = uom.filter(|u| !is_uom(u)) {
                            self.err(&kp, format!("`{u}` is not a UN/CEFACT unit code (2 or 3 capital letters or digits)"));
                        }
                    }
                    _ => self.err(&kp, format!("unknown field `{k}` in a quantity element")),
                }
            }
            if uom.is_some() && quantity.is_none() && !obj.contains_key("quantity") {
                self.err(
                    &ip.key("quantity"),
                    "`quantity` is required when `uom` is given",
                );
            }
            match epc_class {
                Some(epc_class) => out.push(QuantityElement {
                    epc_class,
                    quantity,
                    uom,
                }),
                None if !obj.contains_key("epcClass") => {
                    self.missing(&ip, "epcClass", " in a quantity element")
                }
                None => {}
            }
        }
        out
    }

    fn location<'a>(&mut self, v: &'a Value, p: &Path) -> Option<Location<'a>> {
        let obj = self.object(v, p)?;
        let mut id = None;
        let mut extensions = Vec::new();
        for (k, v) in obj {
            match k.as_str() {
                "id" => id = self.id(v, &p.key(k)),
                _ => self.extension(k, v, p, &mut extensions),
            }
        }
        if !obj.contains_key("id") {
            self.missing(p, "id", "");
        }
        id.map(|id| Location { id, extensions })
    }

    fn biz_transactions<'a>(&mut self, v: &'a Value, p: &Path) -> Vec<BizTransaction<'a>> {
        let Some(items) = self.array(v, p) else {
            return Vec::new();
        };
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let ip = p.index(i);
            let Some(obj) = self.object(item, &ip) else {
                continue;
            };
            let (mut kind, mut id) = (None, None);
            for (k, v) in obj {
                let kp = ip.key(k);
                match k.as_str() {
                    "type" => kind = self.cbv(Vocab::BizTransactionType, v, &kp),
                    "bizTransaction" => id = self.id(v, &kp),
                    _ => self.err(
                        &kp,
                        format!("unknown field `{k}` in a business transaction"),
                    ),
                }
            }
            if !obj.contains_key("bizTransaction") {
                self.missing(&ip, "bizTransaction", "");
            }
            if let Some(id) = id {
                out.push(BizTransaction { kind, id });
            }
        }
        out
    }

    fn source_dest<'a>(
        &mut self,
        v: &'a Value,
        p: &Path,
        member: &'static str,
    ) -> Vec<SourceDest<'a>> {
        let Some(items) = self.array(v, p) else {
            return Vec::new();
        };
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let ip = p.index(i);
            let Some(obj) = self.object(item, &ip) else {
                continue;
            };
            let (mut kind, mut id) = (None, None);
            for (k, v) in obj {
                let kp = ip.key(k);
                if k == "type" {
                    kind = self.cbv(Vocab::SourceDestType, v, &kp);
                } else if k == member {
                    id = self.id(v, &kp);
                } else {
                    self.err(&kp, format!("unknown field `{k}` in a {member}"));
                }
            }
            for name in ["type", member] {
                if !obj.contains_key(name) {
                    self.missing(&ip, name, "");
                }
            }
            if let (Some(kind), Some(id)) = (kind, id) {
                out.push(SourceDest { kind, id });
            }
        }
        out
    }

    fn persistent_disposition<'a>(
        &mut self,
        v: &'a Value,
        p: &Path,
    ) -> Option<PersistentDisposition<'a>> {
        let obj = self.object(v, p)?;
        let mut pd = PersistentDisposition::default();
        for (k, v) in obj {
            let kp = p.key(k);
            let into = match k.as_str() {
                "set" => &mut pd.set,
                "unset" => &mut pd.unset,
                _ => {
                    self.err(
                        &kp,
                        format!(
                            "unknown field `{k}` in persistentDisposition (only `set` and `unset`)"
                        ),
                    );
                    continue;
                }
            };
            let Some(items) = self.array(v, &kp) else {
                continue;
            };
            if items.is_empty() {
                self.err(&kp, "must list at least one disposition");
            }
            for (i, item) in items.iter().enumerate() {
                if let Some(d) = self.cbv(Vocab::Disposition, item, &kp.index(i)) {
                    into.push(d);
                }
            }
        }
        if !obj.contains_key("set") && !obj.contains_key("unset") {
            self.err(p, "persistentDisposition needs `set` or `unset`");
        }
        Some(pd)
    }

    fn error_declaration<'a>(&mut self, v: &'a Value, p: &Path) -> Option<ErrorDeclaration<'a>> {
        let obj = self.object(v, p)?;
        let (mut time, mut reason, mut corrective, mut extensions) =
            (None, None, Vec::new(), Vec::new());
        for (k, v) in obj {
            let kp = p.key(k);
            match k.as_str() {
                "declarationTime" => time = self.time(v, &kp),
                "reason" => reason = self.cbv(Vocab::ErrorReason, v, &kp),
                "correctiveEventIDs" => {
                    let Some(items) = self.array(v, &kp) else {
                        continue;
                    };
                    for (i, item) in items.iter().enumerate() {
                        if let Some(id) = self.uri(item, &kp.index(i)) {
                            corrective.push(id);
                        }
                    }
                }
                _ => self.extension(k, v, p, &mut extensions),
            }
        }
        if !obj.contains_key("declarationTime") {
            self.missing(p, "declarationTime", " in errorDeclaration");
        }
        time.map(|declaration_time| ErrorDeclaration {
            declaration_time,
            reason,
            corrective_event_ids: corrective,
            extensions,
        })
    }

    fn sensor_elements<'a>(&mut self, v: &'a Value, p: &Path) -> Vec<SensorElement<'a>> {
        let Some(items) = self.array(v, p) else {
            return Vec::new();
        };
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let ip = p.index(i);
            let Some(obj) = self.object(item, &ip) else {
                continue;
            };
            let mut el = SensorElement::default();
            for (k, v) in obj {
                let kp = ip.key(k);
                match k.as_str() {
                    "sensorMetadata" => el.metadata = self.sensor_metadata(v, &kp),
                    "sensorReport" => {
                        let Some(reports) = self.array(v, &kp) else {
                            continue;
                        };
                        if reports.is_empty() {
                            self.err(&kp, "must hold at least one sensor report");
                        }
                        for (j, r) in reports.iter().enumerate() {
                            if let Some(r) = self.sensor_report(r, &kp.index(j)) {
                                el.reports.push(r);
                            }
                        }
                    }
                    _ => self.extension(k, v, &ip, &mut el.extensions),
                }
            }
            if !obj.contains_key("sensorReport") {
                self.missing(&ip, "sensorReport", " in a sensor element");
            }
            out.push(el);
        }
        out
    }

    fn sensor_metadata<'a>(&mut self, v: &'a Value, p: &Path) -> Option<SensorMetadata<'a>> {
        let obj = self.object(v, p)?;
        let mut m = SensorMetadata::default();
        for (k, v) in obj {
            let kp = p.key(k);
            match k.as_str() {
                "time" => m.time = self.time(v, &kp),
                "startTime" => m.start_time = self.time(v, &kp),
                "endTime" => m.end_time = self.time(v, &kp),
                "deviceID" => m.device_id = self.id(v, &kp),
                "deviceMetadata" => m.device_metadata = self.uri(v, &kp),
                "rawData" => m.raw_data = self.uri(v, &kp),
                "dataProcessingMethod" => m.data_processing_method = self.uri(v, &kp),
                "bizRules" => m.biz_rules = self.uri(v, &kp),
                _ => self.extension(k, v, p, &mut m.extensions),
            }
        }
        Some(m)
    }

    fn sensor_report<'a>(&mut self, v: &'a Value, p: &Path) -> Option<SensorReport<'a>> {
        let obj = self.object(v, p)?;
        let mut r = SensorReport::default();
        for (k, v) in obj {
            let kp = p.key(k);
            match k.as_str() {
                "type" => r.kind = self.cbv(Vocab::MeasurementType, v, &kp),
                "exception" => r.exception = self.cbv(Vocab::SensorAlert, v, &kp),
                "deviceID" => r.device_id = self.id(v, &kp),
                "deviceMetadata" => r.device_metadata = self.uri(v, &kp),
                "rawData" => r.raw_data = self.uri(v, &kp),
                "dataProcessingMethod" => r.data_processing_method = self.uri(v, &kp),
                "bizRules" => r.biz_rules = self.uri(v, &kp),
                "time" => r.time = self.time(v, &kp),
                "microorganism" => r.microorganism = self.uri(v, &kp),
                "chemicalSubstance" => r.chemical_substance = self.uri(v, &kp),
                "coordinateReferenceSystem" => r.coordinate_reference_system = self.uri(v, &kp),
                "component" => r.component = self.cbv(Vocab::Component, v, &kp),
                "stringValue" => r.string_value = self.str(v, &kp),
                "booleanValue" => r.boolean_value = self.boolean(v, &kp),
                "hexBinaryValue" => {
                    r.hex_binary_value = self.str(v, &kp);
                    if let Some(h) = r
                        .hex_binary_value
                        .filter(|h| h.is_empty() || !h.bytes().all(|b| b.is_ascii_hexdigit()))
                    {
                        self.err(&kp, format!("`{h}` is not hexadecimal"));
                    }
                }
                "uriValue" => r.uri_value = self.uri(v, &kp),
                "value" => r.value = self.number(v, &kp),
                "minValue" => r.min_value = self.number(v, &kp),
                "maxValue" => r.max_value = self.number(v, &kp),
                "meanValue" => r.mean_value = self.number(v, &kp),
                "sDev" => r.s_dev = self.number(v, &kp),
                "percRank" => r.perc_rank = self.number(v, &kp),
                "percValue" => r.perc_value = self.number(v, &kp),
                "uom" => r.uom = self.str(v, &kp),
                _ => self.extension(k, v, p, &mut r.extensions),
            }
        }
        if !obj.contains_key("type") {
            self.missing(
                p,
                "type",
                " in a sensor report (a measurement type such as `Temperature`)",
            );
        }
        Some(r)
    }
}

fn is_uom(u: &str) -> bool {
    (2..=3).contains(&u.len())
        && u.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// The JSON type of a value, for messages.
pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Whether a standard field belongs to an event type (the fields in [`CommonFields`] minus
/// the few that some types lack, plus each type's own).
fn allowed(t: EventType, field: &str) -> bool {
    use EventType::*;
    match field {
        "@context"
        | "type"
        | "eventTime"
        | "recordTime"
        | "eventTimeZoneOffset"
        | "eventID"
        | "certificationInfo"
        | "errorDeclaration"
        | "bizStep"
        | "disposition"
        | "readPoint"
        | "bizLocation"
        | "bizTransactionList"
        | "sourceList"
        | "destinationList"
        | "sensorElementList" => true,
        "action" => t != TransformationEvent,
        // Every event type of the 2.0 XSD has persistentDisposition (GS1's XML examples put
        // it on an AggregationEvent); the JSON Schema lists it on two only.
        "persistentDisposition" => true,
        "ilmd" => matches!(t, ObjectEvent | TransformationEvent),
        "epcList" | "quantityList" => matches!(t, ObjectEvent | TransactionEvent),
        "parentID" => matches!(t, AggregationEvent | TransactionEvent | AssociationEvent),
        "childEPCs" | "childQuantityList" => matches!(t, AggregationEvent | AssociationEvent),
        "inputEPCList" | "inputQuantityList" | "outputEPCList" | "outputQuantityList"
        | "transformationID" => t == TransformationEvent,
        _ => false,
    }
}

const STANDARD_FIELDS: &[&str] = &[
    "@context",
    "type",
    "eventTime",
    "recordTime",
    "eventTimeZoneOffset",
    "eventID",
    "certificationInfo",
    "errorDeclaration",
    "bizStep",
    "disposition",
    "readPoint",
    "bizLocation",
    "bizTransactionList",
    "sourceList",
    "destinationList",
    "sensorElementList",
    "action",
    "persistentDisposition",
    "ilmd",
    "epcList",
    "quantityList",
    "parentID",
    "childEPCs",
    "childQuantityList",
    "inputEPCList",
    "inputQuantityList",
    "outputEPCList",
    "outputQuantityList",
    "transformationID",
];

/// Everything read from an event before the per-type rules are applied.
#[derive(Default)]
struct Raw<'a> {
    event_time: Option<Timestamp<'a>>,
    record_time: Option<Timestamp<'a>>,
    tz: Option<&'a str>,
    event_id: Option<&'a str>,
    certification_info: Vec<&'a str>,
    error_declaration: Option<ErrorDeclaration<'a>>,
    action: Option<Action>,
    biz_step: Option<&'a str>,
    disposition: Option<&'a str>,
    persistent_disposition: Option<PersistentDisposition<'a>>,
    read_point: Option<Location<'a>>,
    biz_location: Option<Location<'a>>,
    biz_transactions: Vec<BizTransaction<'a>>,
    sources: Vec<SourceDest<'a>>,
    destinations: Vec<SourceDest<'a>>,
    sensor_elements: Vec<SensorElement<'a>>,
    ilmd: Option<&'a Map<String, Value>>,
    epc_list: Option<Vec<&'a str>>,
    quantity_list: Vec<QuantityElement<'a>>,
    parent_id: Option<&'a str>,
    child_epcs: Vec<&'a str>,
    child_quantity_list: Vec<QuantityElement<'a>>,
    input_epcs: Vec<&'a str>,
    input_quantities: Vec<QuantityElement<'a>>,
    output_epcs: Vec<&'a str>,
    output_quantities: Vec<QuantityElement<'a>>,
    transformation_id: Option<&'a str>,
    extensions: Extensions<'a>,
}

/// Reads and validates one event object; `p` is its pointer from the document root.
/// Also returns the Digital Links of the event's GS1 identifiers, computed on the way.
pub(crate) fn read_event<'a>(
    obj: &'a Map<String, Value>,
    p: &Path,
) -> Result<(EventView<'a>, CanonicalIds), Vec<FieldError>> {
    read(obj, p, true).map(|(view, links)| (view, CanonicalIds::new(links)))
}

/// Reads an event that was validated before (e.g. one whose `eventID` was set since),
/// without the GS1 identifier checks and tolerating errors in fields that do not shape the view.
pub fn view_event(obj: &Map<String, Value>) -> Option<EventView<'_>> {
    let root = Path::root("");
    read(obj, &root, false).ok().map(|(view, _)| view)
}

fn read<'a>(
    obj: &'a Map<String, Value>,
    p: &Path,
    gs1_checks: bool,
) -> Result<(EventView<'a>, DigitalLinks), Vec<FieldError>> {
    let mut r = Reader {
        errors: Vec::new(),
        gs1_checks,
        digital_links: Vec::new(),
    };
    let event_type = match obj.get("type") {
        None => {
            r.missing(p, "type", " (ObjectEvent, AggregationEvent, TransactionEvent, TransformationEvent or AssociationEvent)");
            return Err(r.errors);
        }
        Some(v) => {
            let tp = p.key("type");
            let Some(name) = r.str(v, &tp) else {
                return Err(r.errors);
            };
            match EventType::parse(name) {
                Some(t) => t,
                None => {
                    r.err(&tp, format!("unknown event type `{name}`; expected ObjectEvent, AggregationEvent, TransactionEvent, TransformationEvent or AssociationEvent"));
                    return Err(r.errors);
                }
            }
        }
    };
    let mut raw = Raw::default();
    for (k, v) in obj {
        let key = k.as_str();
        let kp = p.key(key);
        if !allowed(event_type, key) {
            if STANDARD_FIELDS.contains(&key) {
                r.err(
                    &kp,
                    format!("`{key}` is not a field of {}", event_type.as_str()),
                );
            } else {
                r.extension(key, v, p, &mut raw.extensions);
            }
            continue;
        }
        match key {
            "@context" | "type" => {}
            "eventTime" => raw.event_time = r.time(v, &kp),
            "recordTime" => raw.record_time = r.time(v, &kp),
            "eventTimeZoneOffset" => {
                raw.tz = r.str(v, &kp);
                if let Some(tz) = raw.tz.filter(|tz| !is_tz_offset(tz)) {
                    r.err(
                        &kp,
                        format!(
                            "`{tz}` is not a time zone offset of the form ±hh:mm (e.g. +07:00)"
                        ),
                    );
                }
            }
            "eventID" => raw.event_id = r.uri(v, &kp),
            "certificationInfo" => match v {
                Value::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        if let Some(c) = r.uri(item, &kp.index(i)) {
                            raw.certification_info.push(c);
                        }
                    }
                }
                other => raw.certification_info.extend(r.uri(other, &kp)),
            },
            "errorDeclaration" => raw.error_declaration = r.error_declaration(v, &kp),
            "action" => {
                if let Some(a) = r.str(v, &kp) {
                    raw.action = Action::parse(a);
                    if raw.action.is_none() {
                        r.err(
                            &kp,
                            format!("`{a}` is not an action; expected ADD, OBSERVE or DELETE"),
                        );
                    }
                }
            }
            "bizStep" => raw.biz_step = r.cbv(Vocab::BizStep, v, &kp),
            "disposition" => raw.disposition = r.cbv(Vocab::Disposition, v, &kp),
            "persistentDisposition" => {
                raw.persistent_disposition = r.persistent_disposition(v, &kp)
            }
            "readPoint" => raw.read_point = r.location(v, &kp),
            "bizLocation" => raw.biz_location = r.location(v, &kp),
            "bizTransactionList" => raw.biz_transactions = r.biz_transactions(v, &kp),
            "sourceList" => raw.sources = r.source_dest(v, &kp, "source"),
            "destinationList" => raw.destinations = r.source_dest(v, &kp, "destination"),
            "sensorElementList" => raw.sensor_elements = r.sensor_elements(v, &kp),
            "ilmd" => {
                raw.ilmd = r.object(v, &kp);
                for key in raw.ilmd.into_iter().flat_map(|m| m.keys()) {
                    if !key.contains(':') {
                        r.err(
                            &kp.key(key),
                            format!("ILMD field `{key}` must be namespaced (`prefix:{key}`)"),
                        );
                    }
                }
            }
            "epcList" => raw.epc_list = Some(r.id_list(v, &kp)),
            "quantityList" => raw.quantity_list = r.quantity_list(v, &kp),
            "parentID" => raw.parent_id = r.id(v, &kp),
            "childEPCs" => raw.child_epcs = r.id_list(v, &kp),
            "childQuantityList" => raw.child_quantity_list = r.quantity_list(v, &kp),
            "inputEPCList" => raw.input_epcs = r.id_list(v, &kp),
            "inputQuantityList" => raw.input_quantities = r.quantity_list(v, &kp),
            "outputEPCList" => raw.output_epcs = r.id_list(v, &kp),
            "outputQuantityList" => raw.output_quantities = r.quantity_list(v, &kp),
            "transformationID" => raw.transformation_id = r.uri(v, &kp),
            _ => {}
        }
    }
    check_required(&mut r, event_type, obj, &raw, p);
    if !r.errors.is_empty() {
        return Err(r.errors);
    }
    let links = std::mem::take(&mut r.digital_links);
    assemble(event_type, raw)
        .map(|view| (view, links))
        .ok_or_else(|| {
            vec![FieldError {
                pointer: p.render(),
                message: "incomplete event".into(),
            }]
        })
}

/// The per-type rules of the standard (and of its JSON Schema).
fn check_required(r: &mut Reader, t: EventType, obj: &Map<String, Value>, raw: &Raw, p: &Path) {
    let has = |k: &str| obj.contains_key(k);
    let non_empty = |k: &str| {
        obj.get(k)
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty())
    };
    for name in ["eventTime", "eventTimeZoneOffset"] {
        if !has(name) {
            r.missing(p, name, "");
        }
    }
    if t != EventType::TransformationEvent && !has("action") {
        r.missing(
            p,
            "action",
            &format!(" in {} (ADD, OBSERVE or DELETE)", t.as_str()),
        );
    }
    let delete = raw.action == Some(Action::Delete);
    match t {
        EventType::ObjectEvent => {
            let sensor_only = non_empty("sensorElementList") && has("readPoint");
            if !(has("epcList") || non_empty("quantityList") || sensor_only) {
                r.missing(p, "epcList", " in ObjectEvent unless a non-empty quantityList, or sensorElementList with readPoint, is given");
            }
            if has("ilmd") && raw.action.is_some_and(|a| a != Action::Add) {
                r.err(&p.key("ilmd"), "ilmd is only allowed when action is ADD");
            }
        }
        EventType::AggregationEvent => {
            if !has("parentID") && raw.action.is_some_and(|a| a != Action::Observe) {
                r.missing(
                    p,
                    "parentID",
                    " in AggregationEvent unless action is OBSERVE",
                );
            }
            if !non_empty("childEPCs") && !non_empty("childQuantityList") && !delete {
                r.missing(p, "childEPCs", " in AggregationEvent unless a non-empty childQuantityList is given or action is DELETE");
            }
        }
        EventType::AssociationEvent => {
            if !has("parentID") {
                r.missing(p, "parentID", " in AssociationEvent");
            }
            if !non_empty("childEPCs") && !non_empty("childQuantityList") && !delete {
                r.missing(p, "childEPCs", " in AssociationEvent unless a non-empty childQuantityList is given or action is DELETE");
            }
        }
        EventType::TransactionEvent => {
            if !non_empty("bizTransactionList") {
                r.missing(p, "bizTransactionList", " (non-empty) in TransactionEvent");
            }
            if !has("epcList") && !non_empty("quantityList") && !delete {
                r.missing(p, "epcList", " in TransactionEvent unless a non-empty quantityList is given or action is DELETE");
            }
        }
        EventType::TransformationEvent => {
            let input = non_empty("inputEPCList") || non_empty("inputQuantityList");
            let output = non_empty("outputEPCList") || non_empty("outputQuantityList");
            if !(input && output) && !((input || output) && has("transformationID")) {
                let name = if input {
                    "outputEPCList"
                } else {
                    "inputEPCList"
                };
                r.missing(p, name, " in TransformationEvent: inputs and outputs, or transformationID with inputs or outputs");
            }
        }
    }
}

fn assemble(t: EventType, raw: Raw<'_>) -> Option<EventView<'_>> {
    let common = CommonFields {
        event_time: raw.event_time?,
        record_time: raw.record_time,
        event_time_zone_offset: raw.tz?,
        event_id: raw.event_id,
        certification_info: raw.certification_info,
        error_declaration: raw.error_declaration,
        biz_step: raw.biz_step,
        disposition: raw.disposition,
        persistent_disposition: raw.persistent_disposition,
        read_point: raw.read_point,
        biz_location: raw.biz_location,
        biz_transactions: raw.biz_transactions,
        sources: raw.sources,
        destinations: raw.destinations,
        sensor_elements: raw.sensor_elements,
        extensions: raw.extensions,
    };
    let body = match t {
        EventType::ObjectEvent => EventBody::Object(ObjectEvent {
            action: raw.action?,
            epc_list: raw.epc_list.unwrap_or_default(),
            quantity_list: raw.quantity_list,
            ilmd: raw.ilmd,
        }),
        EventType::AggregationEvent => EventBody::Aggregation(AggregationEvent {
            action: raw.action?,
            parent_id: raw.parent_id,
            child_epcs: raw.child_epcs,
            child_quantity_list: raw.child_quantity_list,
        }),
        EventType::TransactionEvent => EventBody::Transaction(TransactionEvent {
            action: raw.action?,
            parent_id: raw.parent_id,
            epc_list: raw.epc_list.unwrap_or_default(),
            quantity_list: raw.quantity_list,
        }),
        EventType::TransformationEvent => EventBody::Transformation(TransformationEvent {
            input_epc_list: raw.input_epcs,
            input_quantity_list: raw.input_quantities,
            output_epc_list: raw.output_epcs,
            output_quantity_list: raw.output_quantities,
            transformation_id: raw.transformation_id,
            ilmd: raw.ilmd,
        }),
        EventType::AssociationEvent => EventBody::Association(AssociationEvent {
            action: raw.action?,
            parent_id: raw.parent_id?,
            child_epcs: raw.child_epcs,
            child_quantity_list: raw.child_quantity_list,
        }),
    };
    Some(EventView { common, body })
}
