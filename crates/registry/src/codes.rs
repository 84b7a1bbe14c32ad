//! Export codes: planting-area codes (mã số vùng trồng) and packing-house codes (mã số cơ
//! sở đóng gói), with their lifecycle. Events naming a suspended or revoked code are
//! flagged for officials.

use serde::{Deserialize, Serialize};

use crate::validate::InvalidField;

/// Facet fields through which events name export codes (ILMD or top-level extension
/// `plantingAreaCode` / `packingHouseCode` in traceport's namespace).
pub const CODE_FIELDS: &[&str] = &[
    "ilmd:https://ns.traceport.org/epcis/plantingAreaCode",
    "ilmd:https://ns.traceport.org/epcis/packingHouseCode",
    "ext:https://ns.traceport.org/epcis/plantingAreaCode",
    "ext:https://ns.traceport.org/epcis/packingHouseCode",
];

/// Which kind of code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CodeKind {
    /// Planting-area (or farming-area) code.
    PlantingArea,
    /// Packing-house code.
    PackingHouse,
}

/// Lifecycle state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CodeStatus {
    /// Applied for, not yet issued.
    Applied,
    /// Issued and valid.
    Issued,
    /// Suspended (may be reinstated by issuing again).
    Suspended,
    /// Revoked for good.
    Revoked,
}

impl CodeStatus {
    /// The state's name.
    pub fn as_str(self) -> &'static str {
        match self {
            CodeStatus::Applied => "applied",
            CodeStatus::Issued => "issued",
            CodeStatus::Suspended => "suspended",
            CodeStatus::Revoked => "revoked",
        }
    }

    /// True when events naming the code must be flagged.
    pub fn flags_events(self) -> bool {
        matches!(self, CodeStatus::Suspended | CodeStatus::Revoked)
    }
}

/// One step of a code's lifecycle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeEvent {
    /// The new state.
    pub status: CodeStatus,
    /// When, epoch ms.
    pub at_ms: i64,
    /// Who (user or token name).
    pub by: String,
    /// The issuing authority (e.g. `Chi cục Trồng trọt và BVTV Hưng Yên`).
    #[serde(default)]
    pub authority: String,
    /// Why.
    #[serde(default)]
    pub reason: String,
}

/// An export code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExportCode {
    /// The code, e.g. `VN-HYLO-0012`.
    pub code: String,
    /// Planting area or packing house.
    pub kind: CodeKind,
    /// Registry id of the holder (set by the server from the caller).
    #[serde(default)]
    pub owner: String,
    /// Crop or product.
    pub crop: String,
    /// Area in hectares.
    #[serde(default)]
    pub area_ha: Option<f64>,
    /// Number of households.
    #[serde(default)]
    pub households: Option<u32>,
    /// Plots (registry ids) the code covers.
    #[serde(default)]
    pub plots: Vec<String>,
    /// Target market (ISO country code, e.g. `CN`, `US`).
    #[serde(default)]
    pub target_market: String,
    /// Province code (in force) of the area or packing house.
    pub province_code: String,
    /// Current state (set by the server).
    #[serde(default = "applied")]
    pub status: CodeStatus,
    /// Every change, oldest first (set by the server).
    #[serde(default)]
    pub history: Vec<CodeEvent>,
}

fn applied() -> CodeStatus {
    CodeStatus::Applied
}

/// Whether `from` may become `to`: applied → issued; issued ↔ suspended; anything but
/// revoked → revoked; applied may also be refused by revoking.
pub fn can_change(from: CodeStatus, to: CodeStatus) -> bool {
    use CodeStatus::*;
    matches!(
        (from, to),
        (Applied, Issued)
            | (Issued, Suspended)
            | (Suspended, Issued)
            | (Applied | Issued | Suspended, Revoked)
    )
}

/// Checks an application.
pub fn check_code(code: &ExportCode) -> Result<(), InvalidField> {
    let ok = (3..=40).contains(&code.code.len())
        && code
            .code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
    if !ok {
        return Err(InvalidField {
            field: "code".into(),
            message: format!(
                "{:?}: 3 to 40 upper-case letters, digits, '-' and '.'",
                code.code
            ),
        });
    }
    if code.crop.trim().is_empty() {
        return Err(InvalidField {
            field: "crop".into(),
            message: "required".into(),
        });
    }
    if code.area_ha.is_some_and(|a| a.is_nan() || a <= 0.0) {
        return Err(InvalidField {
            field: "areaHa".into(),
            message: "must be positive".into(),
        });
    }
    crate::places::check_place(&code.province_code, "")
}

#[cfg(test)]
mod tests {
    use super::*;
    use CodeStatus::*;

    #[test]
    fn lifecycle() {
        assert!(can_change(Applied, Issued));
        assert!(can_change(Issued, Suspended));
        assert!(can_change(Suspended, Issued));
        assert!(can_change(Issued, Revoked));
        assert!(!can_change(Revoked, Issued));
        assert!(!can_change(Applied, Suspended));
        assert!(!can_change(Issued, Issued));
        assert!(Revoked.flags_events() && Suspended.flags_events() && !Issued.flags_events());
    }
}
