//! The organisations, products and locations of the demo data set: plain structs for the
//! registries, and the single source the demo events and master data are built from.

use crate::ids::{Gln, Gtin, IdStyle};

/// What an organisation does in the supply chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// A farmers' cooperative (hợp tác xã).
    Cooperative,
    /// A farm (trang trại), including aquaculture.
    Farm,
    /// A processor or manufacturer (drying, roasting, filleting).
    Processor,
    /// A wholesaler or distributor.
    Distributor,
    /// A retailer: a shop or a supermarket chain.
    Retailer,
    /// A buyer abroad.
    Importer,
}

impl Role {
    /// A short English label.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Cooperative => "cooperative",
            Role::Farm => "farm",
            Role::Processor => "processor",
            Role::Distributor => "distributor",
            Role::Retailer => "retailer",
            Role::Importer => "importer",
        }
    }
}

/// A business in the demo data set.
#[derive(Debug, Clone, PartialEq)]
pub struct Organisation {
    /// Stable key used by the demo code and tests.
    pub key: &'static str,
    /// Name in Vietnamese (or the local language abroad).
    pub name_vi: &'static str,
    /// Name in English.
    pub name_en: &'static str,
    /// Tax code (mã số thuế; a VAT number abroad).
    pub tax_code: &'static str,
    /// GS1 company prefix.
    pub company_prefix: &'static str,
    /// The organisation's own GLN (as a party).
    pub gln: String,
    /// Province (the 34 units in force since 1 July 2025) or foreign region.
    pub province: &'static str,
    /// Province code (new code, valid from 2025-07-01); empty abroad.
    pub province_code: &'static str,
    /// ISO 3166-1 alpha-2 country.
    pub country: &'static str,
    /// Street address.
    pub address: &'static str,
    /// Role in the chain.
    pub role: Role,
    /// How this organisation's systems write identifiers.
    pub id_style: IdStyle,
}

impl Organisation {
    /// The organisation's GLN as a structured key.
    pub fn party_gln(&self) -> Gln {
        Gln::new(self.company_prefix, party_location_ref(self.company_prefix))
    }

    /// The organisation as an owning party, in its own identifier style.
    pub fn party(&self) -> String {
        self.party_gln().party(self.id_style)
    }
}

/// The location reference of an organisation's own GLN: all zeros, as GS1 allocates by habit.
fn party_location_ref(prefix: &str) -> &'static str {
    const ZEROS: &str = "000000";
    &ZEROS[..12usize.saturating_sub(prefix.len()).min(ZEROS.len())]
}

/// A product (trade item class) in the demo data set.
#[derive(Debug, Clone, PartialEq)]
pub struct Product {
    /// Stable key.
    pub key: &'static str,
    /// Name in Vietnamese.
    pub name_vi: &'static str,
    /// Name in English.
    pub name_en: &'static str,
    /// Key of the brand owner ([`Organisation::key`]).
    pub owner: &'static str,
    /// The GTIN.
    pub gtin: Gtin,
    /// Product group, e.g. `fruit`, `coffee`, `seafood`.
    pub category: &'static str,
    /// Shelf life in days, for expiry dates.
    pub shelf_life_days: u32,
}

/// What kind of place a location is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LocationKind {
    /// A growing plot or pond with a planting-area code (mã số vùng trồng / vùng nuôi).
    Plot,
    /// An office or collection point.
    Site,
    /// A factory: drying, roasting, processing.
    Plant,
    /// A warehouse or distribution centre.
    Warehouse,
    /// A shop or supermarket.
    Store,
}

/// A physical place in the demo data set.
#[derive(Debug, Clone, PartialEq)]
pub struct Location {
    /// Stable key.
    pub key: &'static str,
    /// Name in Vietnamese.
    pub name_vi: &'static str,
    /// Name in English.
    pub name_en: &'static str,
    /// Key of the organisation that operates it.
    pub owner: &'static str,
    /// The location's GLN.
    pub gln: Gln,
    /// Kind of place.
    pub kind: LocationKind,
    /// Street address or commune.
    pub address: &'static str,
    /// Province name.
    pub province: &'static str,
    /// Province code (valid from 2025-07-01); empty abroad.
    pub province_code: &'static str,
    /// ISO 3166-1 alpha-2 country.
    pub country: &'static str,
    /// Planting-area or farming-area code, for plots.
    pub planting_area_code: Option<&'static str>,
    /// WGS84 latitude and longitude with 6 decimals (EUDR plot geolocation).
    pub geo: Option<(f64, f64)>,
}

struct OrgRow(
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    (&'static str, &'static str, &'static str),
    &'static str,
    Role,
    IdStyle,
);

const HY: (&str, &str, &str) = ("Hưng Yên", "33", "VN");
const DL: (&str, &str, &str) = ("Đắk Lắk", "66", "VN");
const AG: (&str, &str, &str) = ("An Giang", "91", "VN");
const HN: (&str, &str, &str) = ("Hà Nội", "01", "VN");
const HCM: (&str, &str, &str) = ("TP. Hồ Chí Minh", "79", "VN");
const HAMBURG: (&str, &str, &str) = ("Hamburg", "", "DE");

#[rustfmt::skip]
const ORGS: &[OrgRow] = &[
    OrgRow("longan-coop", "Hợp tác xã Nhãn lồng Tiên Lữ", "Tien Lu Longan Cooperative", "0901234561", "893601001", HY, "Thôn An Xá, Xã Tiên Lữ, Hưng Yên", Role::Cooperative, IdStyle::DigitalLink),
    OrgRow("longan-processor", "Công ty Cổ phần Nông sản sấy Phố Hiến", "Pho Hien Dried Produce JSC", "0901234572", "893601002", HY, "Khu công nghiệp Phố Hiến, Phường Phố Hiến, Hưng Yên", Role::Processor, IdStyle::EpcUrn),
    OrgRow("importer-de", "Hanseatische Fruchtimport GmbH", "Hanseatic Fruit Import GmbH", "DE812345678", "4012345", HAMBURG, "Am Sandtorkai 12, 20457 Hamburg", Role::Importer, IdStyle::EpcUrn),
    OrgRow("coffee-coop-eatu", "Hợp tác xã Nông nghiệp Ea Tu", "Ea Tu Agricultural Cooperative", "6001234563", "893602001", DL, "Buôn Kosier, Xã Ea Kao, Đắk Lắk", Role::Cooperative, IdStyle::DigitalLink),
    OrgRow("coffee-coop-cumgar", "Hợp tác xã Cà phê Cư M'gar", "Cu M'gar Coffee Cooperative", "6001234574", "893602002", DL, "Thôn 3, Xã Cư M'gar, Đắk Lắk", Role::Cooperative, IdStyle::EpcUrn),
    OrgRow("coffee-roaster", "Công ty TNHH Rang xay Cà phê Ban Mê", "Ban Me Coffee Roasters Co., Ltd.", "6001234585", "893602003", DL, "Đường Nguyễn Tất Thành, Phường Buôn Ma Thuột, Đắk Lắk", Role::Processor, IdStyle::DigitalLink),
    OrgRow("distributor-hn", "Công ty Cổ phần Phân phối Thực phẩm Hà Thành", "Ha Thanh Food Distribution JSC", "0101234567", "893603001", HN, "Phường Long Biên, Hà Nội", Role::Distributor, IdStyle::EpcUrn),
    OrgRow("shop-hn", "Cửa hàng Cà phê Phố Cổ", "Old Quarter Coffee Shop", "0101234578", "893603002", HN, "Phố Hàng Bạc, Phường Hoàn Kiếm, Hà Nội", Role::Retailer, IdStyle::DigitalLink),
    OrgRow("shop-hcm", "Công ty TNHH Cà phê Sài Gòn Xanh", "Saigon Green Coffee Co., Ltd.", "0301234562", "893604001", HCM, "Đường Lê Lợi, Phường Bến Thành, TP. Hồ Chí Minh", Role::Retailer, IdStyle::EpcUrn),
    OrgRow("pangasius-farm", "Trang trại Cá tra Thoại Sơn", "Thoai Son Pangasius Farm", "1601234565", "893605001", AG, "Xã Thoại Sơn, An Giang", Role::Farm, IdStyle::EpcUrn),
    OrgRow("pangasius-processor", "Công ty Cổ phần Thủy sản Long Xuyên", "Long Xuyen Seafood JSC", "1601234576", "893605002", AG, "Khu công nghiệp Bình Hòa, Phường Mỹ Thới, An Giang", Role::Processor, IdStyle::DigitalLink),
    OrgRow("supermarket", "Công ty Cổ phần Siêu thị Xanh Việt", "Xanh Viet Supermarkets JSC", "0301234573", "893604002", HCM, "Phường Thuận An, TP. Hồ Chí Minh", Role::Retailer, IdStyle::EpcUrn),
];

/// The organisations of the demo data set.
pub fn organisations() -> Vec<Organisation> {
    ORGS.iter()
        .map(|r| {
            let gln = Gln::new(r.4, party_location_ref(r.4)).gln;
            Organisation {
                key: r.0,
                name_vi: r.1,
                name_en: r.2,
                tax_code: r.3,
                company_prefix: r.4,
                gln,
                province: r.5 .0,
                province_code: r.5 .1,
                country: r.5 .2,
                address: r.6,
                role: r.7,
                id_style: r.8,
            }
        })
        .collect()
}

#[rustfmt::skip]
const PRODUCTS: &[(&str, &str, &str, &str, &str, &str, u32)] = &[
    ("longan-fresh", "Nhãn lồng Hưng Yên tươi", "Hung Yen fresh longan", "longan-coop", "101", "fruit", 10),
    ("longan-dried", "Nhãn sấy khô Phố Hiến (thùng 10 kg)", "Pho Hien dried longan (10 kg carton)", "longan-processor", "201", "fruit", 365),
    ("coffee-green-eatu", "Cà phê nhân Robusta Ea Tu", "Ea Tu Robusta green coffee", "coffee-coop-eatu", "101", "coffee", 540),
    ("coffee-green-cumgar", "Cà phê nhân Robusta Cư M'gar", "Cu M'gar Robusta green coffee", "coffee-coop-cumgar", "101", "coffee", 540),
    ("coffee-roasted", "Cà phê Robusta rang xay Ban Mê 500 g", "Ban Me roasted ground Robusta coffee 500 g", "coffee-roaster", "301", "coffee", 365),
    ("pangasius-whole", "Cá tra nguyên con", "Whole pangasius", "pangasius-farm", "101", "seafood", 2),
    ("pangasius-fillet", "Phi lê cá tra đông lạnh (thùng 10 kg)", "Frozen pangasius fillets (10 kg carton)", "pangasius-processor", "401", "seafood", 730),
];

/// The products of the demo data set.
pub fn products() -> Vec<Product> {
    let orgs = organisations();
    PRODUCTS
        .iter()
        .filter_map(
            |&(key, name_vi, name_en, owner, item_ref, category, shelf_life_days)| {
                let prefix = orgs.iter().find(|o| o.key == owner)?.company_prefix;
                Some(Product {
                    key,
                    name_vi,
                    name_en,
                    owner,
                    gtin: Gtin::new(prefix, item_ref),
                    category,
                    shelf_life_days,
                })
            },
        )
        .collect()
}

struct LocRow(
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    LocationKind,
    &'static str,
    (&'static str, &'static str, &'static str),
    Option<&'static str>,
    Option<(f64, f64)>,
);

#[rustfmt::skip]
const LOCATIONS: &[LocRow] = &[
    LocRow("longan-plot-12", "Vùng trồng nhãn VN-HYLO-0012 (An Xá)", "Longan growing area VN-HYLO-0012 (An Xa)", "longan-coop", "012", LocationKind::Plot, "Thôn An Xá, Xã Tiên Lữ", HY, Some("VN-HYLO-0012"), Some((20.664_812, 106.133_547))),
    LocRow("longan-plot-15", "Vùng trồng nhãn VN-HYLO-0015 (Hải Triều)", "Longan growing area VN-HYLO-0015 (Hai Trieu)", "longan-coop", "015", LocationKind::Plot, "Thôn Hải Triều, Xã Tiên Lữ", HY, Some("VN-HYLO-0015"), Some((20.671_204, 106.128_930))),
    LocRow("longan-collection", "Điểm thu gom nhãn HTX Tiên Lữ", "Tien Lu cooperative collection point", "longan-coop", "100", LocationKind::Site, "Thôn An Xá, Xã Tiên Lữ", HY, None, None),
    LocRow("longan-drying-plant", "Xưởng sấy nhãn Phố Hiến", "Pho Hien longan drying plant", "longan-processor", "100", LocationKind::Plant, "Khu công nghiệp Phố Hiến, Phường Phố Hiến", HY, None, None),
    LocRow("importer-warehouse", "Lager Hamburg-Waltershof", "Hamburg-Waltershof warehouse", "importer-de", "00010", LocationKind::Warehouse, "Waltershofer Damm 5, 21129 Hamburg", HAMBURG, None, None),
    LocRow("coffee-plot-eatu-1", "Rẫy cà phê hộ Y Bhim Niê (VN-DLCF-0107)", "Y Bhim Nie coffee plot (VN-DLCF-0107)", "coffee-coop-eatu", "107", LocationKind::Plot, "Buôn Kosier, Xã Ea Kao", DL, Some("VN-DLCF-0107"), Some((12.622_915, 108.086_311))),
    LocRow("coffee-plot-eatu-2", "Rẫy cà phê hộ H'Ngơn Êban (VN-DLCF-0112)", "H'Ngon Eban coffee plot (VN-DLCF-0112)", "coffee-coop-eatu", "112", LocationKind::Plot, "Buôn Kosier, Xã Ea Kao", DL, Some("VN-DLCF-0112"), Some((12.618_402, 108.091_774))),
    LocRow("coffee-plot-cumgar-1", "Rẫy cà phê hộ Nguyễn Văn Thành (VN-DLCF-0230)", "Nguyen Van Thanh coffee plot (VN-DLCF-0230)", "coffee-coop-cumgar", "230", LocationKind::Plot, "Thôn 3, Xã Cư M'gar", DL, Some("VN-DLCF-0230"), Some((12.861_530, 108.074_268))),
    LocRow("coffee-eatu-warehouse", "Kho HTX Ea Tu", "Ea Tu cooperative warehouse", "coffee-coop-eatu", "100", LocationKind::Warehouse, "Buôn Kosier, Xã Ea Kao", DL, None, None),
    LocRow("coffee-cumgar-warehouse", "Kho HTX Cư M'gar", "Cu M'gar cooperative warehouse", "coffee-coop-cumgar", "100", LocationKind::Warehouse, "Thôn 3, Xã Cư M'gar", DL, None, None),
    LocRow("coffee-roastery", "Xưởng rang Ban Mê", "Ban Me roastery", "coffee-roaster", "100", LocationKind::Plant, "Đường Nguyễn Tất Thành, Phường Buôn Ma Thuột", DL, None, None),
    LocRow("distributor-hn-dc", "Kho phân phối Long Biên", "Long Bien distribution centre", "distributor-hn", "100", LocationKind::Warehouse, "Phường Long Biên", HN, None, None),
    LocRow("shop-hn-store", "Cửa hàng Cà phê Phố Cổ Hàng Bạc", "Old Quarter Coffee Shop, Hang Bac", "shop-hn", "101", LocationKind::Store, "Phố Hàng Bạc, Phường Hoàn Kiếm", HN, None, None),
    LocRow("shop-hcm-store", "Cửa hàng Sài Gòn Xanh Lê Lợi", "Saigon Green Coffee, Le Loi", "shop-hcm", "101", LocationKind::Store, "Đường Lê Lợi, Phường Bến Thành", HCM, None, None),
    LocRow("pangasius-pond-7", "Ao nuôi cá tra số 7 (VN-AGCT-0007)", "Pangasius pond no. 7 (VN-AGCT-0007)", "pangasius-farm", "007", LocationKind::Plot, "Xã Thoại Sơn", AG, Some("VN-AGCT-0007"), Some((10.301_862, 105.262_447))),
    LocRow("pangasius-plant", "Nhà máy chế biến Thủy sản Long Xuyên", "Long Xuyen seafood processing plant", "pangasius-processor", "100", LocationKind::Plant, "Khu công nghiệp Bình Hòa, Phường Mỹ Thới", AG, None, None),
    LocRow("supermarket-dc", "Trung tâm phân phối Xanh Việt Thuận An", "Xanh Viet Thuan An distribution centre", "supermarket", "100", LocationKind::Warehouse, "Phường Thuận An", HCM, None, None),
    LocRow("supermarket-store-hcm", "Siêu thị Xanh Việt Sài Gòn", "Xanh Viet Saigon store", "supermarket", "201", LocationKind::Store, "Phường Sài Gòn", HCM, None, None),
    LocRow("supermarket-store-hn", "Siêu thị Xanh Việt Cầu Giấy", "Xanh Viet Cau Giay store", "supermarket", "202", LocationKind::Store, "Phường Cầu Giấy", HN, None, None),
];

/// The physical locations of the demo data set: plots, plants, warehouses and stores.
pub fn locations() -> Vec<Location> {
    let orgs = organisations();
    LOCATIONS
        .iter()
        .filter_map(|r| {
            let prefix = orgs.iter().find(|o| o.key == r.3)?.company_prefix;
            Some(Location {
                key: r.0,
                name_vi: r.1,
                name_en: r.2,
                owner: r.3,
                gln: Gln::new(prefix, r.4),
                kind: r.5,
                address: r.6,
                province: r.7 .0,
                province_code: r.7 .1,
                country: r.7 .2,
                planting_area_code: r.8,
                geo: r.9,
            })
        })
        .collect()
}
