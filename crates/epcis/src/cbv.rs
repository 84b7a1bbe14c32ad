//! The CBV 2.0 vocabularies and their three spellings.
//!
//! A standard value may be written as a bare word (`shipping`), a URN
//! (`urn:epcglobal:cbv:bizstep:shipping`), a Web URI (`https://ref.gs1.org/cbv/BizStep-shipping`)
//! or a compact IRI (`cbv:BizStep-shipping`). The Web URI is the canonical form used for
//! indexing; the measurement types and sensor alerts live in the GS1 Web vocabulary
//! (`https://gs1.org/voc/Temperature`) and have no URN form.

use std::borrow::Cow;

/// One CBV (or GS1 Web vocabulary) code list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Vocab {
    /// Business steps (`bizStep`).
    BizStep,
    /// Dispositions (`disposition`, `persistentDisposition`).
    Disposition,
    /// Business transaction types (`bizTransactionList[].type`).
    BizTransactionType,
    /// Source/destination types (`sourceList[].type`, `destinationList[].type`).
    SourceDestType,
    /// Error reasons (`errorDeclaration.reason`).
    ErrorReason,
    /// Sensor report components (`sensorReport[].component`).
    Component,
    /// Sensor measurement types (`sensorReport[].type`), `gs1:` vocabulary.
    MeasurementType,
    /// Sensor alert types (`sensorReport[].exception`), `gs1:` vocabulary.
    SensorAlert,
}

const BIZ_STEPS: &[&str] = &[
    "accepting",
    "arriving",
    "assembling",
    "collecting",
    "commissioning",
    "consigning",
    "creating_class_instance",
    "cycle_counting",
    "decommissioning",
    "departing",
    "destroying",
    "disassembling",
    "dispensing",
    "encoding",
    "entering_exiting",
    "holding",
    "inspecting",
    "installing",
    "killing",
    "loading",
    "other",
    "packing",
    "picking",
    "receiving",
    "removing",
    "repackaging",
    "repairing",
    "replacing",
    "reserving",
    "retail_selling",
    "sampling",
    "sensor_reporting",
    "shipping",
    "staging_outbound",
    "stock_taking",
    "stocking",
    "storing",
    "transporting",
    "unloading",
    "unpacking",
    "void_shipping",
];

const DISPOSITIONS: &[&str] = &[
    "active",
    "available",
    "completeness_inferred",
    "completeness_verified",
    "conformant",
    "container_closed",
    "container_open",
    "damaged",
    "destroyed",
    "dispensed",
    "disposed",
    "encoded",
    "expired",
    "in_progress",
    "in_transit",
    "inactive",
    "mismatch_class",
    "mismatch_instance",
    "mismatch_quantity",
    "needs_replacement",
    "no_pedigree_match",
    "non_conformant",
    "non_sellable_other",
    "partially_dispensed",
    "recalled",
    "reserved",
    "retail_sold",
    "returned",
    "sellable_accessible",
    "sellable_not_accessible",
    "stolen",
    "unavailable",
    "unknown",
];

const BTTS: &[&str] = &[
    "bol",
    "cert",
    "desadv",
    "inv",
    "pedigree",
    "po",
    "poc",
    "prodorder",
    "recadv",
    "rma",
    "testprd",
    "testres",
    "upevt",
];

const SDTS: &[&str] = &["location", "owning_party", "possessing_party"];

const ERS: &[&str] = &["did_not_occur", "incorrect_data"];

const COMPONENTS: &[&str] = &[
    "altitude",
    "axial_distance",
    "azimuth",
    "easting",
    "elevation_angle",
    "height",
    "latitude",
    "longitude",
    "northing",
    "polar_angle",
    "spherical_radius",
    "x",
    "y",
    "z",
];

const MEASUREMENT_TYPES: &[&str] = &[
    "AbsoluteHumidity",
    "AbsorbedDose",
    "AbsorbedDoseRate",
    "Acceleration",
    "Altitude",
    "AmountOfSubstance",
    "AmountOfSubstancePerUnitVolume",
    "Angle",
    "AngularAcceleration",
    "AngularMomentum",
    "AngularVelocity",
    "Area",
    "Capacitance",
    "Conductance",
    "Conductivity",
    "Count",
    "Density",
    "Dimensionless",
    "DoseEquivalent",
    "DoseEquivalentRate",
    "DynamicViscosity",
    "ElectricCharge",
    "ElectricCurrent",
    "ElectricCurrentDensity",
    "ElectricFieldStrength",
    "Energy",
    "Exposure",
    "Force",
    "Frequency",
    "Illuminance",
    "Inductance",
    "Irradiance",
    "KinematicViscosity",
    "Length",
    "LinearMomentum",
    "Luminance",
    "LuminousFlux",
    "LuminousIntensity",
    "MagneticFlux",
    "MagneticFluxDensity",
    "MagneticVectorPotential",
    "Mass",
    "MassConcentration",
    "MassFlowRate",
    "MassPerAreaTime",
    "MemoryCapacity",
    "MolalityOfSolute",
    "MolarEnergy",
    "MolarMass",
    "MolarVolume",
    "Power",
    "Pressure",
    "RadiantFlux",
    "RadiantIntensity",
    "Radioactivity",
    "RelativeHumidity",
    "Resistance",
    "Resistivity",
    "SolidAngle",
    "SpecificVolume",
    "Speed",
    "SurfaceDensity",
    "SurfaceTension",
    "Temperature",
    "Time",
    "Torque",
    "Voltage",
    "Volume",
    "VolumeFlowRate",
    "VolumeFraction",
    "VolumetricFlux",
    "Wavenumber",
];

const SENSOR_ALERTS: &[&str] = &["ALARM_CONDITION", "ERROR_CONDITION"];

const CBV_WEB: &str = "https://ref.gs1.org/cbv/";
const GS1_VOC: &str = "https://gs1.org/voc/";

impl Vocab {
    /// The standard bare words of this vocabulary.
    pub fn words(self) -> &'static [&'static str] {
        match self {
            Vocab::BizStep => BIZ_STEPS,
            Vocab::Disposition => DISPOSITIONS,
            Vocab::BizTransactionType => BTTS,
            Vocab::SourceDestType => SDTS,
            Vocab::ErrorReason => ERS,
            Vocab::Component => COMPONENTS,
            Vocab::MeasurementType => MEASUREMENT_TYPES,
            Vocab::SensorAlert => SENSOR_ALERTS,
        }
    }

    /// The name used in messages.
    pub fn label(self) -> &'static str {
        match self {
            Vocab::BizStep => "business step",
            Vocab::Disposition => "disposition",
            Vocab::BizTransactionType => "business transaction type",
            Vocab::SourceDestType => "source/destination type",
            Vocab::ErrorReason => "error reason",
            Vocab::Component => "component",
            Vocab::MeasurementType => "measurement type",
            Vocab::SensorAlert => "sensor alert type",
        }
    }

    /// The CBV Web URI term prefix after `https://ref.gs1.org/cbv/` (`BizStep-`), or `None` for
    /// the `gs1:` vocabularies whose terms follow `https://gs1.org/voc/` directly.
    fn cbv_term(self) -> Option<&'static str> {
        match self {
            Vocab::BizStep => Some("BizStep-"),
            Vocab::Disposition => Some("Disp-"),
            Vocab::BizTransactionType => Some("BTT-"),
            Vocab::SourceDestType => Some("SDT-"),
            Vocab::ErrorReason => Some("ER-"),
            Vocab::Component => Some("Comp-"),
            Vocab::MeasurementType | Vocab::SensorAlert => None,
        }
    }

    /// The URN prefix (`urn:epcglobal:cbv:bizstep:`), if the vocabulary has a URN form.
    fn urn_prefix(self) -> Option<&'static str> {
        match self {
            Vocab::BizStep => Some("urn:epcglobal:cbv:bizstep:"),
            Vocab::Disposition => Some("urn:epcglobal:cbv:disp:"),
            Vocab::BizTransactionType => Some("urn:epcglobal:cbv:btt:"),
            Vocab::SourceDestType => Some("urn:epcglobal:cbv:sdt:"),
            Vocab::ErrorReason => Some("urn:epcglobal:cbv:er:"),
            Vocab::Component => Some("urn:epcglobal:cbv:comp:"),
            Vocab::MeasurementType | Vocab::SensorAlert => None,
        }
    }

    fn standard(self, word: &str) -> Option<&'static str> {
        let words = self.words();
        words.binary_search(&word).ok().map(|i| words[i])
    }
}

/// How a value relates to a vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Term {
    /// A standard value; the bare word.
    Standard(&'static str),
    /// Written in a standard namespace (URN, Web URI or compact) but not a standard value.
    UnknownStandard,
    /// Something else: a user vocabulary (must then be a URI) or an unknown bare word.
    Other,
}

/// Classifies `value` against `vocab`, whichever of the spellings it uses.
pub fn classify(vocab: Vocab, value: &str) -> Term {
    let rest = match vocab.cbv_term() {
        Some(term) => value
            .strip_prefix(CBV_WEB)
            .or_else(|| value.strip_prefix("cbv:"))
            .map(|r| r.strip_prefix(term).ok_or(()))
            .or_else(|| {
                vocab
                    .urn_prefix()
                    .and_then(|p| value.strip_prefix(p))
                    .map(Ok)
            }),
        None => value
            .strip_prefix(GS1_VOC)
            .or_else(|| value.strip_prefix("gs1:"))
            .map(Ok),
    };
    match rest {
        Some(Ok(word)) => vocab
            .standard(word)
            .map_or(Term::UnknownStandard, Term::Standard),
        Some(Err(())) => Term::UnknownStandard,
        None if value.contains(':') => Term::Other,
        None => vocab.standard(value).map_or(Term::Other, Term::Standard),
    }
}

/// The canonical Web URI of a standard value; a user value is returned unchanged.
pub fn to_web_uri(vocab: Vocab, value: &str) -> Cow<'_, str> {
    match classify(vocab, value) {
        Term::Standard(word) => Cow::Owned(web_uri_of(vocab, word)),
        _ => Cow::Borrowed(value),
    }
}

/// The URN form of a standard value (the Web URI for vocabularies without a URN); a user value unchanged.
pub fn to_urn(vocab: Vocab, value: &str) -> Cow<'_, str> {
    match (classify(vocab, value), vocab.urn_prefix()) {
        (Term::Standard(word), Some(prefix)) => Cow::Owned(format!("{prefix}{word}")),
        (Term::Standard(word), None) => Cow::Owned(web_uri_of(vocab, word)),
        _ => Cow::Borrowed(value),
    }
}

/// The bare word of a standard value; a user value unchanged.
pub fn to_bare(vocab: Vocab, value: &str) -> Cow<'_, str> {
    match classify(vocab, value) {
        Term::Standard(word) => Cow::Borrowed(word),
        _ => Cow::Borrowed(value),
    }
}

fn web_uri_of(vocab: Vocab, word: &str) -> String {
    match vocab.cbv_term() {
        Some(term) => format!("{CBV_WEB}{term}{word}"),
        None => format!("{GS1_VOC}{word}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_spellings_share_one_canonical_form() {
        let web = "https://ref.gs1.org/cbv/BizStep-shipping";
        assert_eq!(to_web_uri(Vocab::BizStep, "shipping"), web);
        assert_eq!(
            to_web_uri(Vocab::BizStep, "urn:epcglobal:cbv:bizstep:shipping"),
            web
        );
        assert_eq!(to_web_uri(Vocab::BizStep, web), web);
        assert_eq!(to_web_uri(Vocab::BizStep, "cbv:BizStep-shipping"), web);
        assert_eq!(
            to_urn(Vocab::Disposition, "in_transit"),
            "urn:epcglobal:cbv:disp:in_transit"
        );
        assert_eq!(
            to_bare(Vocab::BizTransactionType, "urn:epcglobal:cbv:btt:po"),
            "po"
        );
        assert_eq!(
            to_web_uri(Vocab::MeasurementType, "Temperature"),
            "https://gs1.org/voc/Temperature"
        );
        assert_eq!(
            to_web_uri(Vocab::MeasurementType, "gs1:Temperature"),
            "https://gs1.org/voc/Temperature"
        );
        assert_eq!(
            to_web_uri(Vocab::Component, "cbv:Comp-latitude"),
            "https://ref.gs1.org/cbv/Comp-latitude"
        );
    }

    #[test]
    fn unknown_values_are_classified() {
        assert_eq!(classify(Vocab::BizStep, "shiping"), Term::Other);
        assert_eq!(
            classify(Vocab::BizStep, "urn:epcglobal:cbv:bizstep:shiping"),
            Term::UnknownStandard
        );
        assert_eq!(
            classify(Vocab::BizStep, "https://ref.gs1.org/cbv/Disp-in_transit"),
            Term::UnknownStandard
        );
        assert_eq!(
            classify(Vocab::BizStep, "http://example.org/step"),
            Term::Other
        );
        assert_eq!(
            to_web_uri(Vocab::BizStep, "http://example.org/step"),
            "http://example.org/step"
        );
    }

    #[test]
    fn word_lists_are_sorted_for_binary_search() {
        for v in [
            Vocab::BizStep,
            Vocab::Disposition,
            Vocab::BizTransactionType,
            Vocab::SourceDestType,
            Vocab::ErrorReason,
            Vocab::Component,
            Vocab::MeasurementType,
            Vocab::SensorAlert,
        ] {
            assert!(v.words().windows(2).all(|w| w[0] < w[1]), "{v:?}");
        }
    }
}
