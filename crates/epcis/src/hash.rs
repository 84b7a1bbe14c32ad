//! The canonical event hash of CBV 2.0 (section 8.9), used as `eventID` and to detect duplicates.
