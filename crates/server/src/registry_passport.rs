//! Passport data from the registries in the store: a registered product (names, first image,
//! producer, certificates) and a registered location, before any other source.

use std::sync::Arc;
use std::time::Duration;

use gs1::DigitalLink;
use registry::{Certificate, Organisation, Verification};
use store::Backend;

use crate::passport_data::{LocalText, Party, PassportData, ProductInfo, RecallNotice};
use crate::ttl_cache::{Cached, TtlCache};

/// How long an answer is reused. Writes through this server forget every answer at once
/// ([`PassportData::registries_changed`]); this bounds how long another process's write
/// (a second server on the same database, the CLI) takes to show.
const ANSWER_TTL: Duration = Duration::from_secs(10);
/// Most products and places remembered each.
const ANSWERS: usize = 100_000;

/// The store's registries first, then `next` (e.g. the demo data, or nothing). Answers are
/// cached: a passport page names the same producer and a handful of places on every view,
/// and each lookup decodes registry records.
pub struct RegistryData {
    store: Arc<dyn Backend>,
    next: Arc<dyn PassportData>,
    products: TtlCache<Option<ProductInfo>>,
    parties: TtlCache<Option<Party>>,
}

impl RegistryData {
    /// Registry lookups over `store`, falling back on `next`.
    pub fn new(store: Arc<dyn Backend>, next: Arc<dyn PassportData>) -> RegistryData {
        RegistryData {
            store,
            next,
            products: TtlCache::new(ANSWERS),
            parties: TtlCache::new(ANSWERS),
        }
    }
}

/// A certificate as consumers read it: `VietGAP VG-33-001 (until 2026-12-31)`.
pub fn certificate_text(c: &Certificate) -> String {
    let mut text = c.scheme.clone();
    if !c.number.is_empty() {
        text.push(' ');
        text.push_str(&c.number);
    }
    if let Some(until) = &c.valid_until {
        text.push_str(&format!(" (≤ {until})"));
    }
    text
}

fn party(org: &Organisation) -> Party {
    let d = &org.details;
    Party {
        name: LocalText {
            vi: d.name_vi.clone(),
            en: if d.name_en.is_empty() {
                d.name_vi.clone()
            } else {
                d.name_en.clone()
            },
        },
        province: registry::admin::units()
            .province(&d.province_code)
            .map(|u| u.name.clone()),
        verified: matches!(org.verification, Verification::Verified { .. })
            && org.suspension.is_none(),
    }
}

impl PassportData for RegistryData {
    fn product(&self, gtin: &str) -> Option<ProductInfo> {
        if let Some(Cached::Fresh(answer)) = self.products.get(gtin) {
            return answer;
        }
        let answer = self.product_uncached(gtin);
        self.products
            .put(gtin.to_owned(), answer.clone(), ANSWER_TTL);
        answer
    }

    fn party(&self, gln: &str) -> Option<Party> {
        if let Some(Cached::Fresh(answer)) = self.parties.get(gln) {
            return answer;
        }
        let answer = self.party_uncached(gln);
        self.parties.put(gln.to_owned(), answer.clone(), ANSWER_TTL);
        answer
    }

    fn recall(&self, identifier: &DigitalLink) -> Option<RecallNotice> {
        self.next.recall(identifier)
    }

    fn registries_changed(&self) {
        self.products.clear();
        self.parties.clear();
        self.next.registries_changed();
    }
}

impl RegistryData {
    fn product_uncached(&self, gtin: &str) -> Option<ProductInfo> {
        // A store failure shows the page without registry data rather than no page.
        let Ok(Some(p)) = self.store.product(gtin) else {
            return self.next.product(gtin);
        };
        let producer = self
            .store
            .organisation(&p.owner)
            .ok()
            .flatten()
            .map(|o| party(&o));
        Some(ProductInfo {
            name: LocalText {
                en: if p.name_en.is_empty() {
                    p.name_vi.clone()
                } else {
                    p.name_en.clone()
                },
                vi: p.name_vi,
            },
            image: p.images.into_iter().next(),
            producer,
            certificates: p.certificates.iter().map(certificate_text).collect(),
        })
    }

    fn party_uncached(&self, gln: &str) -> Option<Party> {
        let Ok(Some(l)) = self.store.location(gln) else {
            return self.next.party(gln);
        };
        let verified = self
            .store
            .organisation(&l.owner)
            .ok()
            .flatten()
            .is_some_and(|o| party(&o).verified);
        Some(Party {
            name: LocalText {
                en: if l.name_en.is_empty() {
                    l.name_vi.clone()
                } else {
                    l.name_en.clone()
                },
                vi: l.name_vi,
            },
            province: registry::admin::units()
                .province(&l.province_code)
                .map(|u| u.name.clone()),
            verified,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_certificate_reads_with_its_number_and_date() {
        let mut c = Certificate {
            scheme: "VietGAP".into(),
            number: "VG-33-001".into(),
            issuer: "Chi cục".into(),
            valid_until: Some("2026-12-31".into()),
        };
        assert_eq!(certificate_text(&c), "VietGAP VG-33-001 (≤ 2026-12-31)");
        c.number.clear();
        c.valid_until = None;
        assert_eq!(certificate_text(&c), "VietGAP");
    }
}
