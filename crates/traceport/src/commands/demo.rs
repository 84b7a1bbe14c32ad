//! `traceport demo`: the demo organisations and products into the registries, and the demo
//! data set into the store, each event owned by the organisation where it happened.

use registry::{ChainRole, NewOrganisation, Organisation, Product, ProductGroup, Verification};
use server::access::OwnershipRule;
use store::{AppendMode, Backend, StoreError};

use crate::error::CliError;
use crate::loader::{file_limits, load_document, now_ms, Owners};

/// Who verifies the demo organisations.
const DEMO_VERIFIER: &str = "demo";
/// The demo planting-area code that has been revoked (its events are flagged).
pub const REVOKED_CODE: &str = "VN-DLCF-0230";
/// Area given to demo plots, which the demo data set does not measure.
const DEMO_PLOT_HA: f64 = 0.8;

/// What loading the demo set did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DemoLoad {
    /// Organisations newly registered.
    pub organisations: usize,
    /// Events newly stored.
    pub stored: usize,
    /// Events that were already in the store.
    pub already_present: usize,
}

fn chain_role(role: demo::Role) -> ChainRole {
    match role {
        demo::Role::Cooperative => ChainRole::Cooperative,
        demo::Role::Farm => ChainRole::Farm,
        demo::Role::Processor => ChainRole::Processor,
        demo::Role::Distributor => ChainRole::Distributor,
        demo::Role::Retailer => ChainRole::Retailer,
        demo::Role::Importer => ChainRole::Importer,
    }
}

/// Registers the demo organisations (verified) and their products; already registered
/// ones are left as they are. Returns how many organisations were new.
pub fn register_demo(store: &dyn Backend) -> Result<usize, CliError> {
    let now = now_ms();
    let mut new = 0;
    for o in demo::organisations() {
        let org = Organisation {
            details: NewOrganisation {
                id: o.key.to_owned(),
                name_vi: o.name_vi.to_owned(),
                name_en: o.name_en.to_owned(),
                tax_code: o.tax_code.to_owned(),
                company_prefixes: vec![o.company_prefix.to_owned()],
                glns: vec![o.gln.clone()],
                address: o.address.to_owned(),
                province_code: o.province_code.to_owned(),
                country: o.country.to_owned(),
                roles: vec![chain_role(o.role)],
            },
            verification: Verification::Verified {
                by: DEMO_VERIFIER.into(),
                at_ms: now,
            },
            suspension: None,
            created_ms: now,
        };
        match store.create_organisation(&org) {
            Ok(()) => new += 1,
            Err(StoreError::Conflict(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    for p in demo::products() {
        let product = Product {
            gtin: p.gtin.gtin14.clone(),
            owner: p.owner.to_owned(),
            name_vi: p.name_vi.to_owned(),
            name_en: p.name_en.to_owned(),
            description_vi: String::new(),
            description_en: String::new(),
            images: Vec::new(),
            brand: String::new(),
            group: ProductGroup::Other,
            category: p.category.to_owned(),
            net_content: String::new(),
            shelf_life_days: Some(p.shelf_life_days),
            standards: Vec::new(),
            certificates: Vec::new(),
        };
        store.put_product(&product)?;
    }
    register_places(store, now)?;
    Ok(new)
}

/// The demo locations, plots (as points) and planting-area codes, all issued except
/// [`REVOKED_CODE`].
fn register_places(store: &dyn Backend, now: i64) -> Result<(), CliError> {
    use registry::codes::{CodeEvent, CodeKind, CodeStatus, ExportCode};
    use registry::places::{Location, Plot};
    let crop_of = |owner: &str| {
        demo::products()
            .into_iter()
            .find(|p| p.owner == owner)
            .map_or("", |p| p.category)
    };
    for l in demo::locations() {
        store.put_location(&Location {
            id: l.gln.gln.clone(),
            owner: l.owner.to_owned(),
            name_vi: l.name_vi.to_owned(),
            name_en: l.name_en.to_owned(),
            address: l.address.to_owned(),
            province_code: l.province_code.to_owned(),
            commune_code: String::new(),
            coordinates: l.geo,
        })?;
        let (Some(code), Some((lat, lon))) = (l.planting_area_code, l.geo) else {
            continue;
        };
        let plot_id = code.to_ascii_lowercase();
        store.put_plot(&Plot {
            id: plot_id.clone(),
            owner: l.owner.to_owned(),
            name: l.name_vi.to_owned(),
            crop: crop_of(l.owner).to_owned(),
            area_ha: Some(DEMO_PLOT_HA),
            province_code: l.province_code.to_owned(),
            commune_code: String::new(),
            geometry: serde_json::json!({"type": "Point", "coordinates": [lon, lat]}),
        })?;
        let step = |status, reason: &str| CodeEvent {
            status,
            at_ms: now,
            by: DEMO_VERIFIER.into(),
            authority: "Cục Bảo vệ thực vật".into(),
            reason: reason.into(),
        };
        let mut history = vec![step(CodeStatus::Applied, ""), step(CodeStatus::Issued, "")];
        let mut status = CodeStatus::Issued;
        if code == REVOKED_CODE {
            history.push(step(
                CodeStatus::Revoked,
                "pesticide residue above the importing country's limit",
            ));
            status = CodeStatus::Revoked;
        }
        let record = ExportCode {
            code: code.to_owned(),
            kind: CodeKind::PlantingArea,
            owner: l.owner.to_owned(),
            crop: crop_of(l.owner).to_owned(),
            area_ha: Some(DEMO_PLOT_HA),
            households: Some(1),
            plots: vec![plot_id],
            target_market: "CN".into(),
            province_code: l.province_code.to_owned(),
            status,
            history,
        };
        match store.create_code(&record) {
            Ok(()) | Err(StoreError::Conflict(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Registers the demo organisations, then loads every demo document. Events already stored
/// are skipped (so the command can be re-run); an invalid demo event is an error, as it
/// would be a bug in the demo data.
pub fn load_demo(store: &dyn Backend) -> Result<DemoLoad, CliError> {
    let mut load = DemoLoad {
        organisations: register_demo(store)?,
        ..DemoLoad::default()
    };
    // Flag rather than reject: the demo loads whatever its chains contain.
    let mut owners = Owners::load(store, None, OwnershipRule::Flag)?;
    for (i, document) in demo::demo_documents().iter().enumerate() {
        let what = format!("demo document {}", i + 1);
        let bytes = serde_json::to_vec(document).map_err(|e| CliError::Document {
            what: what.clone(),
            message: e.to_string(),
        })?;
        let outcome = load_document(
            store,
            &bytes,
            &file_limits(),
            AppendMode::SkipFailures,
            Some(&mut owners),
        )?
        .map_err(|message| CliError::Document {
            what: what.clone(),
            message,
        })?;
        let duplicates = outcome.problems.iter().filter(|p| p.duplicate).count();
        if let Some(p) = outcome.problems.iter().find(|p| !p.duplicate) {
            return Err(CliError::Document {
                what,
                message: format!("{}: {}", p.pointer, p.message),
            });
        }
        load.stored += outcome.stored;
        load.already_present += duplicates;
    }
    owners.save_partners(store)?;
    Ok(load)
}

/// Runs the command.
pub fn run(store: &dyn Backend) -> Result<(), CliError> {
    let load = load_demo(store)?;
    println!(
        "registered {} demo organisations; loaded {} demo events ({} already present)",
        load.organisations, load.stored, load.already_present
    );
    println!("get an API token with e.g. `traceport token create --org longan-coop`");
    Ok(())
}
