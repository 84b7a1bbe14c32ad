//! The demo data set: complete Vietnamese supply chains as EPCIS documents, with fixed
//! dates so every run yields the same events.

mod coffee;
mod longan;
mod pangasius;

use serde_json::{json, Value};

use crate::document::{epcis_document, master_data_header};
use crate::ids::{giai, Gtin, IdStyle, Sscc};
use crate::registry::{locations, organisations, products, Location, Organisation, Product};

/// One lot of a demo product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoLot {
    /// Product key ([`Product::key`]).
    pub product: &'static str,
    /// The product's GTIN.
    pub gtin: Gtin,
    /// The lot number (AI 10).
    pub lot: &'static str,
}

impl DemoLot {
    /// The lot as a canonical Digital Link (`https://id.gs1.org/01/…/10/…`).
    pub fn digital_link(&self) -> String {
        self.gtin.lot(IdStyle::DigitalLink, self.lot)
    }

    /// The lot as an EPC class URN (`urn:epc:class:lgtin:…`).
    pub fn epc_class(&self) -> String {
        self.gtin.lot(IdStyle::EpcUrn, self.lot)
    }
}

/// The key identifiers of the demo data set, for tests, trace and passport pages.
#[derive(Debug, Clone)]
pub struct DemoLots {
    /// Fresh longan harvested from plots VN-HYLO-0012 and VN-HYLO-0015.
    pub longan_fresh: [DemoLot; 2],
    /// The dried longan lot made from both fresh lots.
    pub longan_dried: DemoLot,
    /// The two export pallets of dried longan.
    pub longan_pallets: [Sscc; 2],
    /// Green coffee lots from three plots of two cooperatives.
    pub coffee_green: [DemoLot; 3],
    /// The retail coffee lot: roasted from all three green lots, sold in Hà Nội and TP. Hồ Chí Minh.
    pub coffee_roasted: DemoLot,
    /// Pallet 0 goes to the Hà Nội distributor, pallet 1 to the shop in TP. Hồ Chí Minh.
    pub coffee_pallets: [Sscc; 2],
    /// The distributor's purchase order for roasted coffee (TransactionEvent).
    pub coffee_purchase_order: String,
    /// Whole pangasius harvested from pond VN-AGCT-0007.
    pub pangasius_whole: DemoLot,
    /// Frozen fillets made from the whole fish.
    pub pangasius_fillet: DemoLot,
    /// The cold-chain pallet of fillets.
    pub pangasius_pallet: Sscc,
    /// The temperature logger travelling with the pallet (GIAI, EPC URN).
    pub temperature_logger: String,
    /// `eventID` of the event declared erroneous (and of its error declaration).
    pub erroneous_event_id: String,
    /// `eventID` of the corrective event.
    pub corrective_event_id: String,
}

fn find<'a, T>(items: &'a [T], key: &str, key_of: impl Fn(&T) -> &str) -> &'a T {
    match items.iter().find(|i| key_of(i) == key) {
        Some(i) => i,
        None => panic!("demo registry has no entry {key}"),
    }
}

/// The registries the chains are built from, with lookups by key.
pub(crate) struct World {
    pub orgs: Vec<Organisation>,
    pub products: Vec<Product>,
    pub locations: Vec<Location>,
}

impl World {
    fn new() -> World {
        World {
            orgs: organisations(),
            products: products(),
            locations: locations(),
        }
    }

    /// The organisation `key`; keys are constants of this crate, checked by its tests.
    pub fn org(&self, key: &str) -> &Organisation {
        find(&self.orgs, key, |o| o.key)
    }

    /// The product `key`.
    pub fn product(&self, key: &str) -> &Product {
        find(&self.products, key, |p| p.key)
    }

    /// The location `key`.
    pub fn location(&self, key: &str) -> &Location {
        find(&self.locations, key, |l| l.key)
    }

    /// The location `key` written the way its operator writes identifiers.
    pub fn loc(&self, key: &str) -> String {
        let l = self.location(key);
        l.gln.location(self.org(l.owner).id_style)
    }

    /// The organisation `key` as an owning party, in its own identifier style.
    pub fn party(&self, key: &str) -> String {
        self.org(key).party()
    }

    /// The style of organisation `key`.
    pub fn style(&self, key: &str) -> IdStyle {
        self.org(key).id_style
    }

    fn lot(&self, product: &'static str, lot: &'static str) -> DemoLot {
        DemoLot {
            product,
            gtin: self.product(product).gtin.clone(),
            lot,
        }
    }

    fn sscc(&self, owner: &str, serial: u64) -> Sscc {
        Sscc::new(self.org(owner).company_prefix, 3, serial)
    }

    /// A document with master data for the named products and locations.
    pub fn document(
        &self,
        id: &str,
        created: &str,
        products: &[&str],
        places: &[&str],
        events: Vec<Value>,
    ) -> Value {
        let p: Vec<&Product> = products.iter().map(|k| self.product(k)).collect();
        let l: Vec<&Location> = places.iter().map(|k| self.location(k)).collect();
        epcis_document(
            Some(id),
            created,
            Some(master_data_header(&self.orgs, &p, &l)),
            events,
        )
    }
}

/// A Viet Nam local time (`+07:00`) with milliseconds, from `YYYY-MM-DDTHH:MM:SS`.
pub(crate) fn vn(t: &str) -> String {
    format!("{t}.000+07:00")
}

/// A fixed, unique event id: `chain` names the chain, `seq` the event within it.
pub(crate) fn event_id(chain: u32, seq: u32) -> String {
    format!("urn:uuid:{chain:08x}-0000-4000-8000-{seq:012x}")
}

/// A CBV business transaction id, issued by the party with GLN `gln`.
pub(crate) fn biz_tx(gln: &str, id: &str) -> String {
    format!("urn:epcglobal:cbv:bt:{gln}:{id}")
}

/// The demo data set's key identifiers.
pub fn demo_lots() -> DemoLots {
    let w = World::new();
    let logger_org = w.org("pangasius-processor");
    DemoLots {
        longan_fresh: [
            w.lot("longan-fresh", "HY2507-A12"),
            w.lot("longan-fresh", "HY2507-B15"),
        ],
        longan_dried: w.lot("longan-dried", "PH-DL-250731"),
        longan_pallets: [
            w.sscc("longan-processor", 2_500_801),
            w.sscc("longan-processor", 2_500_802),
        ],
        coffee_green: [
            w.lot("coffee-green-eatu", "EATU-2511-107"),
            w.lot("coffee-green-eatu", "EATU-2511-112"),
            w.lot("coffee-green-cumgar", "CMG-2511-230"),
        ],
        coffee_roasted: w.lot("coffee-roasted", "BM-2601-R07"),
        coffee_pallets: [
            w.sscc("coffee-roaster", 2_600_101),
            w.sscc("coffee-roaster", 2_600_102),
        ],
        coffee_purchase_order: biz_tx(&w.org("distributor-hn").gln, "PO-HT-2026-0042"),
        pangasius_whole: w.lot("pangasius-whole", "TS-AO7-260302"),
        pangasius_fillet: w.lot("pangasius-fillet", "LX-FF-260302"),
        pangasius_pallet: w.sscc("pangasius-processor", 2_603_001),
        temperature_logger: giai(IdStyle::EpcUrn, logger_org.company_prefix, "TL0042"),
        erroneous_event_id: event_id(pangasius::CHAIN, 15),
        corrective_event_id: event_id(pangasius::CHAIN, 16),
    }
}

/// The demo data set: one document per chain (longan, coffee, pangasius) with master data
/// in the header, then a later document with an error declaration and its correction.
pub fn demo_documents() -> Vec<Value> {
    let w = World::new();
    let ids = demo_lots();
    vec![
        longan::document(&w, &ids),
        coffee::document(&w, &ids),
        pangasius::document(&w, &ids),
        pangasius::corrections(&w, &ids),
    ]
}

/// ILMD fields every farm lot carries: origin, harvest dates and planting-area code.
pub(crate) fn harvest_ilmd(area_code: &str, start: &str, end: &str, expiry: Option<&str>) -> Value {
    let mut ilmd = json!({
        "cbvmda:countryOfOrigin": "VN",
        "cbvmda:harvestStartDate": start,
        "cbvmda:harvestEndDate": end,
        "tp:plantingAreaCode": area_code,
    });
    if let (Some(e), Some(m)) = (expiry, ilmd.as_object_mut()) {
        m.insert("cbvmda:itemExpirationDate".into(), json!(e));
    }
    ilmd
}
