//! Output forms: identifiers as Digital Links or EPC URNs (`GS1-EPC-Format`), CBV values
//! as bare words or URIs (`GS1-CBV-Format`).

use serde_json::{Map, Value};

use crate::cbv::{self, Vocab};

/// The `GS1-EPC-Format` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EpcFormat {
    /// `Never_Translates` (default): identifiers as captured.
    #[default]
    NeverTranslates,
    /// `Always_GS1_Digital_Link`.
    AlwaysDigitalLink,
    /// `Always_EPC_URN`.
    AlwaysEpcUrn,
}

/// The `GS1-CBV-Format` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CbvFormat {
    /// `Never_Translates` (default).
    #[default]
    NeverTranslates,
    /// `Always_Web_URI`.
    AlwaysWebUri,
    /// `Always_URN`.
    AlwaysUrn,
}

/// Rewrites a stored event's identifiers and CBV values in place for output.
///
/// Identifiers (EPC lists, parentID, epcClass, readPoint, bizLocation, sources, destinations,
/// business transactions, sensor device IDs) that cannot be converted (not GS1 keys, or a
/// Digital Link whose company prefix length is unknown) stay as they are. CBV values are
/// rewritten to the Web URI or URN form; the `gs1:` measurement and alert types have no URN
/// and are written as Web URIs under `Always_URN`. User vocabulary values are left alone.
pub fn convert_event(
    event: &mut Value,
    epc: EpcFormat,
    cbv: CbvFormat,
    prefixes: &dyn gs1::CompanyPrefixLookup,
) {
    let Some(obj) = event.as_object_mut() else {
        return;
    };
    let conv = Converter { epc, cbv, prefixes };
    conv.event(obj);
}

struct Converter<'p> {
    epc: EpcFormat,
    cbv: CbvFormat,
    prefixes: &'p dyn gs1::CompanyPrefixLookup,
}

impl Converter<'_> {
    fn event(&self, obj: &mut Map<String, Value>) {
        for (key, v) in obj.iter_mut() {
            match key.as_str() {
                "epcList" | "childEPCs" | "inputEPCList" | "outputEPCList" => self.id_list(v),
                "parentID" => self.id(v),
                "quantityList" | "childQuantityList" | "inputQuantityList"
                | "outputQuantityList" => {
                    for q in objects(v) {
                        q.get_mut("epcClass").into_iter().for_each(|c| self.id(c));
                    }
                }
                "readPoint" | "bizLocation" => {
                    if let Some(id) = v.as_object_mut().and_then(|o| o.get_mut("id")) {
                        self.id(id);
                    }
                }
                "bizStep" => self.vocab(Vocab::BizStep, v),
                "disposition" => self.vocab(Vocab::Disposition, v),
                "persistentDisposition" => {
                    if let Some(pd) = v.as_object_mut() {
                        for list in pd.values_mut() {
                            list.as_array_mut()
                                .into_iter()
                                .flatten()
                                .for_each(|d| self.vocab(Vocab::Disposition, d));
                        }
                    }
                }
                "bizTransactionList" => {
                    self.typed_list(v, Vocab::BizTransactionType, "bizTransaction")
                }
                "sourceList" => self.typed_list(v, Vocab::SourceDestType, "source"),
                "destinationList" => self.typed_list(v, Vocab::SourceDestType, "destination"),
                "errorDeclaration" => {
                    if let Some(reason) = v.as_object_mut().and_then(|o| o.get_mut("reason")) {
                        self.vocab(Vocab::ErrorReason, reason);
                    }
                }
                "sensorElementList" => self.sensors(v),
                _ => {}
            }
        }
    }

    fn sensors(&self, v: &mut Value) {
        for el in objects(v) {
            if let Some(meta) = el.get_mut("sensorMetadata").and_then(Value::as_object_mut) {
                meta.get_mut("deviceID")
                    .into_iter()
                    .for_each(|d| self.id(d));
            }
            let Some(reports) = el.get_mut("sensorReport") else {
                continue;
            };
            for r in objects(reports) {
                for (k, v) in r.iter_mut() {
                    match k.as_str() {
                        "deviceID" => self.id(v),
                        "type" => self.vocab(Vocab::MeasurementType, v),
                        "exception" => self.vocab(Vocab::SensorAlert, v),
                        "component" => self.vocab(Vocab::Component, v),
                        _ => {}
                    }
                }
            }
        }
    }

    fn typed_list(&self, v: &mut Value, vocab: Vocab, member: &str) {
        for item in objects(v) {
            if let Some(t) = item.get_mut("type") {
                self.vocab(vocab, t);
            }
            if let Some(id) = item.get_mut(member) {
                self.id(id);
            }
        }
    }

    fn id_list(&self, v: &mut Value) {
        v.as_array_mut()
            .into_iter()
            .flatten()
            .for_each(|id| self.id(id));
    }

    fn id(&self, v: &mut Value) {
        let Value::String(s) = v else { return };
        let converted = match self.epc {
            EpcFormat::NeverTranslates => return,
            EpcFormat::AlwaysDigitalLink if crate::lexical::claims_gs1(s) => {
                gs1::to_digital_link(s)
            }
            EpcFormat::AlwaysEpcUrn if crate::lexical::claims_gs1(s) => {
                gs1::to_epc_urn(s, self.prefixes)
            }
            _ => return,
        };
        if let Ok(c) = converted {
            *s = c;
        }
    }

    fn vocab(&self, vocab: Vocab, v: &mut Value) {
        let Value::String(s) = v else { return };
        let converted = match self.cbv {
            CbvFormat::NeverTranslates => return,
            CbvFormat::AlwaysWebUri => cbv::to_web_uri(vocab, s),
            CbvFormat::AlwaysUrn => cbv::to_urn(vocab, s),
        };
        if let std::borrow::Cow::Owned(c) = converted {
            *s = c;
        }
    }
}

fn objects(v: &mut Value) -> impl Iterator<Item = &mut Map<String, Value>> {
    v.as_array_mut()
        .into_iter()
        .flatten()
        .filter_map(Value::as_object_mut)
}
