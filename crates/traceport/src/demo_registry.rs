//! The demo data set's organisations, products and places as passport data, so the
//! passport pages of `serve --demo` show names, producers and provinces.

use demo::{Location, Organisation, Product};
use gs1::DigitalLink;
use server::passport_data::{LocalText, Party, PassportData, ProductInfo, RecallNotice};

/// The demo registries, loaded once.
pub struct DemoRegistry {
    organisations: Vec<Organisation>,
    products: Vec<Product>,
    locations: Vec<Location>,
}

impl DemoRegistry {
    /// Loads the demo registries.
    pub fn new() -> DemoRegistry {
        DemoRegistry {
            organisations: demo::organisations(),
            products: demo::products(),
            locations: demo::locations(),
        }
    }

    fn organisation(&self, key: &str) -> Option<&Organisation> {
        self.organisations.iter().find(|o| o.key == key)
    }
}

fn party(org: &Organisation) -> Party {
    Party {
        name: LocalText {
            vi: org.name_vi.to_owned(),
            en: org.name_en.to_owned(),
        },
        province: Some(org.province.to_owned()),
        // The demo organisations carry tax codes: they stand for registered legal entities.
        verified: !org.tax_code.is_empty(),
    }
}

impl PassportData for DemoRegistry {
    fn product(&self, gtin: &str) -> Option<ProductInfo> {
        let p = self.products.iter().find(|p| p.gtin.gtin14 == gtin)?;
        Some(ProductInfo {
            name: LocalText {
                vi: p.name_vi.to_owned(),
                en: p.name_en.to_owned(),
            },
            image: None,
            producer: self.organisation(p.owner).map(party),
            certificates: Vec::new(),
        })
    }

    fn party(&self, gln: &str) -> Option<Party> {
        if let Some(l) = self.locations.iter().find(|l| l.gln.gln == gln) {
            return Some(Party {
                name: LocalText {
                    vi: l.name_vi.to_owned(),
                    en: l.name_en.to_owned(),
                },
                province: Some(l.province.to_owned()),
                verified: true,
            });
        }
        self.organisations.iter().find(|o| o.gln == gln).map(party)
    }

    fn recall(&self, _identifier: &DigitalLink) -> Option<RecallNotice> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_demo_product_has_its_producer() {
        let r = DemoRegistry::new();
        for p in demo::products() {
            let info = r.product(&p.gtin.gtin14).unwrap();
            assert_eq!(info.name.vi, p.name_vi);
            assert!(info.producer.is_some(), "{}", p.key);
        }
        for l in demo::locations() {
            assert_eq!(r.party(&l.gln.gln).unwrap().name.en, l.name_en);
        }
        assert!(r.product("00000000000000").is_none());
    }
}
