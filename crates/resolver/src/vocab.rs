//! Link types of the GS1 Web Vocabulary (`https://gs1.org/voc/`), written as `gs1:` CURIEs.

use crate::ResolverError;

/// The namespace the `gs1:` prefix stands for.
pub const GS1_VOC: &str = "https://gs1.org/voc/";

/// The link type of a key's default link.
pub const DEFAULT_LINK: &str = "gs1:defaultLink";
/// The link type for several language/context variants of the default link.
pub const DEFAULT_LINK_MULTI: &str = "gs1:defaultLinkMulti";

/// Every link type (local names) the resolver accepts.
pub const LINK_TYPES: &[&str] = &[
    "activityIdeas",
    "allergenInfo",
    "appDownload",
    "brandHomepageClinical",
    "brandHomepagePatient",
    "careersInfo",
    "certificationInfo",
    "consumerHandlingStorageInfo",
    "defaultLink",
    "defaultLinkMulti",
    "dpp",
    "epcis",
    "epil",
    "eventsInfo",
    "faqs",
    "handledBy",
    "hasRetailers",
    "homepage",
    "ingredientsInfo",
    "instructions",
    "jws",
    "leaveReview",
    "locationInfo",
    "logisticsInfo",
    "loyaltyProgram",
    "masterData",
    "menuInfo",
    "nutritionalInfo",
    "openingHoursInfo",
    "paymentLink",
    "pip",
    "productSustainabilityInfo",
    "promotion",
    "purchaseSuppliesOrAccessories",
    "quickStartGuide",
    "recallStatus",
    "recipeInfo",
    "registerProduct",
    "relatedImage",
    "relatedVideo",
    "review",
    "safetyInfo",
    "scheduleTime",
    "serviceInfo",
    "smartLabel",
    "smpc",
    "socialMedia",
    "statisticInfo",
    "subscribe",
    "support",
    "sustainabilityInfo",
    "traceability",
    "tutorial",
    "userAgreement",
    "verificationService",
    "whatsInTheBox",
];

/// The `gs1:` CURIE of a link type given as a CURIE, a full vocabulary URI or a bare
/// local name; an error for anything outside the vocabulary.
pub fn normalise_link_type(text: &str) -> Result<String, ResolverError> {
    let local = text
        .strip_prefix("gs1:")
        .or_else(|| text.strip_prefix(GS1_VOC))
        .or_else(|| text.strip_prefix("http://gs1.org/voc/"))
        .unwrap_or(text);
    if LINK_TYPES.contains(&local) {
        Ok(format!("gs1:{local}"))
    } else {
        Err(ResolverError::UnknownLinkType(text.to_string()))
    }
}

/// The full vocabulary URI of a `gs1:` CURIE (the relation type in a linkset).
pub fn expand(curie: &str) -> String {
    match curie.strip_prefix("gs1:") {
        Some(local) => format!("{GS1_VOC}{local}"),
        None => curie.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_a_link_type() {
        for t in ["gs1:pip", "https://gs1.org/voc/pip", "pip"] {
            assert_eq!(normalise_link_type(t).unwrap(), "gs1:pip");
        }
        assert!(matches!(
            normalise_link_type("gs1:nonsense"),
            Err(ResolverError::UnknownLinkType(_))
        ));
        assert_eq!(expand("gs1:epcis"), "https://gs1.org/voc/epcis");
    }

    #[test]
    fn vocabulary_sorted_and_unique() {
        let mut sorted = LINK_TYPES.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted, LINK_TYPES);
    }
}
