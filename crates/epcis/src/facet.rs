//! Facets: the (field, value) pairs an event is indexed by.
//!
//! Every query condition in [`crate::query`] is expressed over facet field names, so the
//! store only needs one generic index: `(field, text value)` and `(field, number)` rows.
//! The naming convention for fields is owned by this module and documented on
//! [`Facet::field`]; identifiers are always in canonical form (see `gs1::canonical_id`).

use std::borrow::Cow;

use serde_json::{Map, Value};

use crate::cbv::{self, Vocab};
use crate::context::Namespaces;
use crate::ids::CanonicalIds;
use crate::model::*;

/// One indexed fact about an event.
#[derive(Debug, Clone, PartialEq)]
pub struct Facet {
    /// Field name. Values are normalised: identifiers by `gs1::canonical_id` (EPC URNs and
    /// Digital Links become canonical Digital Links), CBV values to their Web URI
    /// (`https://ref.gs1.org/cbv/BizStep-shipping`, `https://gs1.org/voc/Temperature`), times
    /// to epoch milliseconds.
    ///
    /// * identifiers: `epc` (epcList), `childEPC` (childEPCs), `inputEPC`, `outputEPC`, `parentID`;
    /// * classes: `epcClass` (quantityList), `childEPCClass`, `inputEPCClass`, `outputEPCClass`,
    ///   and `quantity` (number, from every quantity list);
    /// * `action` (`ADD`/`OBSERVE`/`DELETE`), `bizStep`, `disposition`, `persistentDisposition.set`,
    ///   `persistentDisposition.unset`, `readPoint`, `bizLocation`, `transformationID`, `certificationInfo`;
    /// * `bizTransaction` (any type) and `bizTransaction:{type}`, `source:{type}`, `destination:{type}`,
    ///   where `{type}` is the canonical Web URI of the type (`bizTransaction:https://ref.gs1.org/cbv/BTT-po`);
    /// * `errorDeclaration` (text `true` when present), `errorDeclarationTime` (number), `errorReason`,
    ///   `correctiveEventID`;
    /// * sensors: `sensor.type`, `sensor.exception`, `sensor.deviceID`, `sensor.deviceMetadata`,
    ///   `sensor.rawData`, `sensor.dataProcessingMethod`, `sensor.bizRules`, `sensor.microorganism`,
    ///   `sensor.chemicalSubstance`, `sensor.coordinateReferenceSystem`, `sensor.component`,
    ///   `sensor.stringValue`, `sensor.booleanValue` (`true`/`false`), `sensor.hexBinaryValue`
    ///   (upper case), `sensor.uriValue`, `sensor.uom`; numbers `sensor.time`, `sensor.startTime`,
    ///   `sensor.endTime`, `sensor.value`, `sensor.minValue`, `sensor.maxValue`, `sensor.meanValue`,
    ///   `sensor.sDev`, `sensor.percRank`, `sensor.percValue`, and for a report with a `uom` also
    ///   `sensor.{measure}:{uom}` (`sensor.value:CEL`) so that a value and its unit are matched together.
    ///   Metadata and report attributes of the same name share one field;
    /// * user extensions: `ext:{name}` for a top-level extension field, `ilmd:{name}` for a field
    ///   directly under `ilmd`, `inner:{name}` for an extension field nested anywhere else (inside an
    ///   extension value, readPoint, bizLocation, errorDeclaration or a sensor element), `inner-ilmd:{name}`
    ///   for one nested inside an ILMD value. `{name}` is the **expanded** name, namespace IRI followed
    ///   by the local name (`example:myField` with `"example": "http://ns.example.com/epcis/"` gives
    ///   `http://ns.example.com/epcis/myField`); a name whose prefix the document does not declare is
    ///   kept as written. A string gives a text facet, plus a number facet when it is an RFC 3339
    ///   time; a number gives a number facet and a text facet (its JSON text); a boolean gives
    ///   `true`/`false`; an array gives one facet per element; an object gives an empty text facet
    ///   (so `EXISTS_` sees it) and facets for its members.
    pub field: String,
    /// The value: text for identifiers and vocabulary, number for quantities, measurements and times (epoch ms).
    pub value: FacetValue,
}

/// A facet value.
#[derive(Debug, Clone, PartialEq)]
pub enum FacetValue {
    /// An identifier, vocabulary value or string.
    Text(String),
    /// A number; times are milliseconds since the Unix epoch.
    Number(f64),
}

/// The canonical form of an identifier, as indexed.
pub fn normalize_id(id: &str) -> String {
    gs1::canonical_id(id).into_owned()
}

/// The canonical form of a CBV value, as indexed: the Web URI of a standard value, else as given.
pub fn normalize_cbv(vocab: Vocab, value: &str) -> String {
    cbv::to_web_uri(vocab, value).into_owned()
}

/// The indexed name of an extension field: expanded with the document's namespaces when its
/// prefix is declared, else as written.
pub fn extension_name<'a>(name: &'a str, namespaces: &Namespaces) -> Cow<'a, str> {
    match namespaces.expand(name) {
        Some((ns, local)) => Cow::Owned(format!("{ns}{local}")),
        None => Cow::Borrowed(name),
    }
}

/// Collects facets; one per pushed fact.
struct Sink<'n> {
    out: Vec<Facet>,
    ns: &'n Namespaces,
    ids: &'n CanonicalIds,
}

impl Sink<'_> {
    fn text(&mut self, field: &str, value: impl Into<String>) {
        self.out.push(Facet {
            field: field.to_owned(),
            value: FacetValue::Text(value.into()),
        });
    }

    fn number(&mut self, field: &str, value: f64) {
        self.out.push(Facet {
            field: field.to_owned(),
            value: FacetValue::Number(value),
        });
    }

    /// [`normalize_id`], reusing the conversion validation made.
    fn id(&self, id: &str) -> String {
        self.ids.canonical_id(id).into_owned()
    }

    fn ids(&mut self, field: &str, ids: &[&str]) {
        for id in ids {
            let id = self.id(id);
            self.text(field, id);
        }
    }

    fn opt_id(&mut self, field: &str, id: Option<&str>) {
        if let Some(id) = id {
            let id = self.id(id);
            self.text(field, id);
        }
    }

    fn opt_text(&mut self, field: &str, value: Option<&str>) {
        if let Some(v) = value {
            self.text(field, v);
        }
    }

    fn opt_cbv(&mut self, field: &str, vocab: Vocab, value: Option<&str>) {
        if let Some(v) = value {
            self.text(field, normalize_cbv(vocab, v));
        }
    }

    fn opt_number(&mut self, field: &str, value: Option<f64>) {
        if let Some(v) = value {
            self.number(field, v);
        }
    }

    fn quantities(&mut self, class_field: &str, list: &[QuantityElement]) {
        for q in list {
            let class = self.id(q.epc_class);
            self.text(class_field, class);
            self.opt_number("quantity", q.quantity);
        }
    }

    /// An extension field: `{top}:{name}` for itself, `{inner}:{name}` for nested members.
    fn extension(&mut self, top: &str, inner: &str, name: &str, value: &Value) {
        let field = format!("{top}:{}", extension_name(name, self.ns));
        self.ext_value(&field, inner, value);
    }

    fn ext_value(&mut self, field: &str, inner: &str, value: &Value) {
        match value {
            Value::Null => {}
            Value::Bool(b) => self.text(field, if *b { "true" } else { "false" }),
            Value::Number(n) => {
                if let Some(f) = n.as_f64() {
                    self.number(field, f);
                }
                self.text(field, n.to_string());
            }
            Value::String(s) => {
                self.text(field, s.as_str());
                if looks_like_time(s) {
                    if let Ok(ms) = crate::lexical::parse_time_ms(s) {
                        self.number(field, ms as f64);
                    }
                }
            }
            Value::Array(items) => {
                for item in items {
                    self.ext_value(field, inner, item);
                }
            }
            Value::Object(members) => {
                self.text(field, "");
                self.inner_members(inner, members);
            }
        }
    }

    fn inner_members(&mut self, inner: &str, members: &Map<String, Value>) {
        for (k, v) in members {
            self.extension(inner, inner, k, v);
        }
    }

    fn inner_extensions(&mut self, extensions: &Extensions) {
        for (k, v) in extensions {
            self.extension("inner", "inner", k, v);
        }
    }
}

/// A cheap pre-check so that only plausible strings go through the date-time parser.
fn looks_like_time(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 20 && b[0].is_ascii_digit() && b[4] == b'-' && matches!(b[10], b'T' | b't')
}

/// The facets of a validated event.
pub(crate) fn extract(view: &EventView, namespaces: &Namespaces, ids: &CanonicalIds) -> Vec<Facet> {
    let mut s = Sink {
        out: Vec::with_capacity(16),
        ns: namespaces,
        ids,
    };
    let c = &view.common;
    if let Some(a) = view.action() {
        s.text("action", a.as_str());
    }
    match &view.body {
        EventBody::Object(e) => {
            s.ids("epc", &e.epc_list);
            s.quantities("epcClass", &e.quantity_list);
            ilmd(&mut s, e.ilmd);
        }
        EventBody::Aggregation(e) => {
            s.opt_id("parentID", e.parent_id);
            s.ids("childEPC", &e.child_epcs);
            s.quantities("childEPCClass", &e.child_quantity_list);
        }
        EventBody::Association(e) => {
            s.opt_id("parentID", Some(e.parent_id));
            s.ids("childEPC", &e.child_epcs);
            s.quantities("childEPCClass", &e.child_quantity_list);
        }
        EventBody::Transaction(e) => {
            s.opt_id("parentID", e.parent_id);
            s.ids("epc", &e.epc_list);
            s.quantities("epcClass", &e.quantity_list);
        }
        EventBody::Transformation(e) => {
            s.ids("inputEPC", &e.input_epc_list);
            s.quantities("inputEPCClass", &e.input_quantity_list);
            s.ids("outputEPC", &e.output_epc_list);
            s.quantities("outputEPCClass", &e.output_quantity_list);
            s.opt_id("transformationID", e.transformation_id);
            ilmd(&mut s, e.ilmd);
        }
    }
    s.opt_cbv("bizStep", Vocab::BizStep, c.biz_step);
    s.opt_cbv("disposition", Vocab::Disposition, c.disposition);
    if let Some(pd) = &c.persistent_disposition {
        for d in &pd.set {
            s.text(
                "persistentDisposition.set",
                normalize_cbv(Vocab::Disposition, d),
            );
        }
        for d in &pd.unset {
            s.text(
                "persistentDisposition.unset",
                normalize_cbv(Vocab::Disposition, d),
            );
        }
    }
    for (field, loc) in [
        ("readPoint", &c.read_point),
        ("bizLocation", &c.biz_location),
    ] {
        if let Some(loc) = loc {
            let id = s.id(loc.id);
            s.text(field, id);
            s.inner_extensions(&loc.extensions);
        }
    }
    for bt in &c.biz_transactions {
        let id = s.id(bt.id);
        if let Some(kind) = bt.kind {
            s.text(
                &format!(
                    "bizTransaction:{}",
                    normalize_cbv(Vocab::BizTransactionType, kind)
                ),
                id.as_str(),
            );
        }
        s.text("bizTransaction", id);
    }
    for (prefix, list) in [("source", &c.sources), ("destination", &c.destinations)] {
        for sd in list {
            s.text(
                &format!("{prefix}:{}", normalize_cbv(Vocab::SourceDestType, sd.kind)),
                s.id(sd.id),
            );
        }
    }
    for ci in &c.certification_info {
        s.text("certificationInfo", *ci);
    }
    if let Some(ed) = &c.error_declaration {
        s.text("errorDeclaration", "true");
        s.number("errorDeclarationTime", ed.declaration_time.epoch_ms as f64);
        s.opt_cbv("errorReason", Vocab::ErrorReason, ed.reason);
        for id in &ed.corrective_event_ids {
            s.text("correctiveEventID", *id);
        }
        s.inner_extensions(&ed.extensions);
    }
    for el in &c.sensor_elements {
        sensor_element(&mut s, el);
    }
    for (k, v) in &c.extensions {
        s.extension("ext", "inner", k, v);
    }
    s.out
}

fn ilmd(s: &mut Sink, ilmd: Option<&Map<String, Value>>) {
    for (k, v) in ilmd.into_iter().flatten() {
        s.extension("ilmd", "inner-ilmd", k, v);
    }
}

fn time(s: &mut Sink, field: &str, t: Option<Timestamp>) {
    if let Some(t) = t {
        s.number(field, t.epoch_ms as f64);
    }
}

fn sensor_element(s: &mut Sink, el: &SensorElement) {
    if let Some(m) = &el.metadata {
        time(s, "sensor.time", m.time);
        time(s, "sensor.startTime", m.start_time);
        time(s, "sensor.endTime", m.end_time);
        s.opt_id("sensor.deviceID", m.device_id);
        s.opt_text("sensor.deviceMetadata", m.device_metadata);
        s.opt_text("sensor.rawData", m.raw_data);
        s.opt_text("sensor.dataProcessingMethod", m.data_processing_method);
        s.opt_text("sensor.bizRules", m.biz_rules);
        s.inner_extensions(&m.extensions);
    }
    for r in &el.reports {
        s.opt_cbv("sensor.type", Vocab::MeasurementType, r.kind);
        s.opt_cbv("sensor.exception", Vocab::SensorAlert, r.exception);
        s.opt_id("sensor.deviceID", r.device_id);
        s.opt_text("sensor.deviceMetadata", r.device_metadata);
        s.opt_text("sensor.rawData", r.raw_data);
        s.opt_text("sensor.dataProcessingMethod", r.data_processing_method);
        s.opt_text("sensor.bizRules", r.biz_rules);
        time(s, "sensor.time", r.time);
        s.opt_text("sensor.microorganism", r.microorganism);
        s.opt_text("sensor.chemicalSubstance", r.chemical_substance);
        s.opt_text(
            "sensor.coordinateReferenceSystem",
            r.coordinate_reference_system,
        );
        s.opt_cbv("sensor.component", Vocab::Component, r.component);
        s.opt_text("sensor.stringValue", r.string_value);
        if let Some(b) = r.boolean_value {
            s.text("sensor.booleanValue", if b { "true" } else { "false" });
        }
        if let Some(h) = r.hex_binary_value {
            s.text("sensor.hexBinaryValue", h.to_ascii_uppercase());
        }
        s.opt_text("sensor.uriValue", r.uri_value);
        s.opt_text("sensor.uom", r.uom);
        let measures = [
            ("value", r.value),
            ("minValue", r.min_value),
            ("maxValue", r.max_value),
            ("meanValue", r.mean_value),
            ("sDev", r.s_dev),
            ("percRank", r.perc_rank),
            ("percValue", r.perc_value),
        ];
        for (name, v) in measures {
            let Some(v) = v else { continue };
            s.number(&format!("sensor.{name}"), v);
            if let Some(uom) = r.uom {
                s.number(&format!("sensor.{name}:{uom}"), v);
            }
        }
        s.inner_extensions(&r.extensions);
    }
    s.inner_extensions(&el.extensions);
}
