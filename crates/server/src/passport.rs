//! The product passport: the page a consumer's phone opens by default. Server-rendered
//! HTML that works without JavaScript: product, producer, origin, the journey from the
//! lot's EPCIS events, a recall banner, an authenticity panel for serialised items and a
//! form to report a problem.

use std::collections::{BTreeSet, HashMap, HashSet};

use axum::extract::{OriginalUri, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use epcis::query::{Condition, OrderBy, Query};
use gs1::{DigitalLink, ParseOptions};
use resolver::link::key_of;
use serde_json::Value;
use store::{Backend, PageRequest, ProblemReport, ScanSummary, StoreError, StoredEvent};

use crate::html::{self, escape, Lang};
use crate::passport_data::{Party, PassportData, ProductInfo, RecallNotice};
use crate::problem::ApiError;
use crate::resolve::error_response;
use crate::AppState;

/// Facet fields that hold instance identifiers.
const EPC_FIELDS: &[&str] = &["epc", "childEPC", "parentID", "inputEPC", "outputEPC"];
/// Facet fields that hold class identifiers.
const CLASS_FIELDS: &[&str] = &[
    "epcClass",
    "childEPCClass",
    "inputEPCClass",
    "outputEPCClass",
];
/// Most events on one journey.
const JOURNEY_EVENTS: usize = 200;
/// How many transformation steps the journey follows back towards the farm.
const UPSTREAM_DEPTH: usize = 3;
/// Distinct provinces past which a serial's scans look like copies of one code.
const SUSPICIOUS_REGIONS: usize = 3;
/// Scans of one serial in the last hour past which it looks copied.
const SUSPICIOUS_RATE: i64 = 20;
/// Longest problem report kept, characters.
const MAX_REPORT: usize = 2_000;

fn fields() -> Vec<String> {
    EPC_FIELDS
        .iter()
        .chain(CLASS_FIELDS)
        .map(|f| f.to_string())
        .collect()
}

/// Escapes `LIKE` wildcards.
fn like_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Whether any event names the key (alone or with qualifiers).
pub fn key_has_events(store: &dyn Backend, key: &str) -> Result<bool, StoreError> {
    let literal = like_literal(key);
    let query = Query {
        conditions: vec![Condition::TextLike {
            fields: fields(),
            patterns: vec![literal.clone(), format!("{literal}/%")],
        }],
        event_count_limit: Some(1),
        ..Query::default()
    };
    let page = store.query(
        &query,
        &PageRequest {
            per_page: 1,
            after: None,
        },
    )?;
    Ok(!page.items.is_empty())
}

/// The events that name any of `identifiers` exactly, in event-time order (at most `limit`).
pub fn events_naming(
    store: &dyn Backend,
    identifiers: Vec<String>,
    limit: usize,
) -> Result<Vec<StoredEvent>, StoreError> {
    let query = Query {
        conditions: vec![Condition::TextIn {
            fields: fields(),
            values: identifiers,
        }],
        order_by: OrderBy::EventTime,
        event_count_limit: Some(limit),
        ..Query::default()
    };
    Ok(store
        .query(
            &query,
            &PageRequest {
                per_page: limit,
                after: None,
            },
        )?
        .items)
}

/// Now, Unix milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// One step of the journey, read from an event.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// Event time as written (`2025-07-28T06:30:00.000+07:00`).
    pub time: String,
    /// CBV business step, short form (`commissioning`).
    pub biz_step: Option<String>,
    /// CBV disposition, short form (`recalled`).
    pub disposition: Option<String>,
    /// GLN of the business location (or else the read point).
    pub gln: Option<String>,
    /// Event type.
    pub event_type: String,
}

/// The last path segment of a CBV value after any `BizStep-`/`Disp-` prefix.
fn short_cbv(v: &str) -> String {
    let tail = v.rsplit(['/', ':']).next().unwrap_or(v);
    tail.split_once('-')
        .filter(|(head, _)| matches!(*head, "BizStep" | "Disp"))
        .map_or(tail, |(_, rest)| rest)
        .to_owned()
}

/// The GLN of a location identifier (Digital Link or SGLN URN).
fn gln_of(id: &str) -> Option<String> {
    let dl = DigitalLink::parse(&gs1::canonical_id(id)).ok()?;
    (dl.primary.ai == "414").then(|| dl.primary.value.clone())
}

/// What the page takes from one event: its journey step, its ILMD facts, and the
/// identifiers it made and consumed (a transformation's outputs and inputs).
struct EventReading {
    event_time_ms: i64,
    seq: i64,
    step: Step,
    facts: Vec<(String, String)>,
    outputs: Vec<String>,
    inputs: Vec<String>,
}

/// Reads an event body once; `glns` remembers location identifiers already turned into
/// GLNs (a journey names the same few places many times, and parsing them is not free).
fn read_event(e: &StoredEvent, glns: &mut HashMap<String, Option<String>>) -> Option<EventReading> {
    let body = serde_json::from_str::<Value>(&e.body).ok()?;
    let text = |v: &Value| v.as_str().map(str::to_owned);
    let location = body
        .pointer("/bizLocation/id")
        .or_else(|| body.pointer("/readPoint/id"))
        .and_then(Value::as_str)
        .and_then(|id| {
            glns.entry(id.to_owned())
                .or_insert_with(|| gln_of(id))
                .clone()
        });
    let step = Step {
        time: text(&body["eventTime"]).unwrap_or_default(),
        biz_step: text(&body["bizStep"]).map(|s| short_cbv(&s)),
        disposition: text(&body["disposition"]).map(|s| short_cbv(&s)),
        gln: location,
        event_type: text(&body["type"]).unwrap_or_default(),
    };
    let facts = body["ilmd"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| {
            let name = k.rsplit([':', '/', '#']).next().unwrap_or(k);
            v.as_str().map(|v| (name.to_owned(), v.to_owned()))
        })
        .collect();
    let listed = |lists: [&str; 2]| -> Vec<String> {
        lists
            .iter()
            .flat_map(|l| body[*l].as_array().into_iter().flatten())
            .filter_map(|item| item.as_str().or_else(|| item["epcClass"].as_str()))
            .map(|id| gs1::canonical_id(id).into_owned())
            .collect()
    };
    Some(EventReading {
        event_time_ms: e.event_time_ms,
        seq: e.seq,
        step,
        facts,
        outputs: listed(["outputEPCList", "outputQuantityList"]),
        inputs: listed(["inputEPCList", "inputQuantityList"]),
    })
}

/// The inputs of the transformations among `readings` whose outputs include one of `ids`
/// (what the product was made from), except those already in `ids`.
fn upstream_inputs(readings: &[EventReading], ids: &[String]) -> BTreeSet<String> {
    readings
        .iter()
        .filter(|r| r.outputs.iter().any(|o| ids.contains(o)))
        .flat_map(|r| r.inputs.iter())
        .filter(|i| !ids.contains(i))
        .cloned()
        .collect()
}

/// The journey steps in time order and the ILMD facts (the earliest event's value of each).
fn steps_and_facts(mut readings: Vec<EventReading>) -> (Vec<Step>, HashMap<String, String>) {
    readings.sort_by_key(|r| (r.event_time_ms, r.seq));
    let mut facts = HashMap::new();
    for r in &mut readings {
        for (name, value) in r.facts.drain(..) {
            facts.entry(name).or_insert(value);
        }
    }
    let mut steps: Vec<Step> = readings.into_iter().map(|r| r.step).collect();
    steps.sort_by(|a, b| a.time.cmp(&b.time));
    (steps, facts)
}

/// Everything the page shows.
struct View {
    dl: DigitalLink,
    product: Option<ProductInfo>,
    steps: Vec<Step>,
    facts: HashMap<String, String>,
    places: HashMap<String, Party>,
    recall: Option<RecallNotice>,
    recalled_by_event: bool,
    scans: Option<ScanSummary>,
}

/// The identifiers whose events make the journey: the item, its lot, and (for a GTIN
/// alone) the GTIN.
fn journey_ids(dl: &DigitalLink) -> Vec<String> {
    let mut ids = vec![dl.canonical()];
    if let (Some(lot), true) = (dl.qualifier("10"), dl.qualifier("21").is_some()) {
        ids.push(format!("{}/10/{}", key_of(dl), gs1::dl::encode_value(lot)));
    }
    ids
}

fn gather(
    store: &dyn Backend,
    data: &dyn PassportData,
    dl: DigitalLink,
) -> Result<View, StoreError> {
    let mut ids = journey_ids(&dl);
    let mut readings: Vec<EventReading> = Vec::new();
    let mut seen = HashSet::new();
    let mut glns = HashMap::new();
    // The lot's own events, then (following transformations back towards the farm) the
    // events of their inputs, each event read once however many rounds name it.
    let mut asking = ids.clone();
    for round in 0..=UPSTREAM_DEPTH {
        let room = JOURNEY_EVENTS.saturating_sub(readings.len());
        if room == 0 {
            break;
        }
        for e in events_naming(store, asking, room)? {
            if seen.insert(e.seq) {
                readings.extend(read_event(&e, &mut glns));
            }
        }
        if round == UPSTREAM_DEPTH {
            break;
        }
        let new = upstream_inputs(&readings, &ids);
        if new.is_empty() {
            break;
        }
        asking = new.into_iter().collect();
        ids.extend(asking.iter().cloned());
    }
    let (steps, facts) = steps_and_facts(readings);
    let recalled_by_event = steps
        .iter()
        .any(|s| s.disposition.as_deref() == Some("recalled"));
    let places = steps
        .iter()
        .filter_map(|s| s.gln.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .filter_map(|g| data.party(&g).map(|p| (g, p)))
        .collect();
    let product = (dl.primary.ai == "01")
        .then(|| data.product(&dl.primary.value))
        .flatten();
    let scans = match dl.qualifier("21") {
        Some(_) => Some(store.scan_summary(&dl.canonical(), now_ms() - 3_600_000)?),
        None => None,
    };
    let declared = match (dl.primary.ai, dl.qualifier("10")) {
        ("01", Some(lot)) => crate::recalls::open_recall(store, &dl.primary.value, lot)?,
        _ => None,
    };
    Ok(View {
        recall: declared
            .as_ref()
            .map(crate::recalls::passport_notice)
            .or_else(|| data.recall(&dl)),
        dl,
        product,
        steps,
        facts,
        places,
        recalled_by_event,
        scans,
    })
}

/// The language switch and query of the page URL.
fn page_lang(uri: &axum::http::Uri, headers: &HeaderMap) -> Lang {
    let explicit = uri
        .query()
        .unwrap_or("")
        .split('&')
        .find_map(|p| p.strip_prefix("lang="));
    Lang::choose(headers, explicit)
}

/// The Digital Link of a passport path `/passport/01/…`.
fn passport_link(state: &AppState, uri: &axum::http::Uri) -> Result<DigitalLink, ApiError> {
    let rest = uri.path().strip_prefix("/passport").unwrap_or("");
    Ok(DigitalLink::parse_with(
        &format!("http://passport{rest}"),
        ParseOptions {
            legacy: state.config.legacy_digital_links,
            strict_attributes: false,
            compressed: true,
        },
    )?)
}

/// `GET /passport/{digital link path}`: the product passport page.
pub async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
) -> Response {
    let lang = page_lang(&uri, &headers);
    let html_headers = html_accepting(&headers);
    let dl = match passport_link(&state, &uri) {
        Ok(dl) => dl,
        Err(e) => return error_response(&html_headers, &uri, e),
    };
    let key = key_of(&dl);
    match crate::resolve::key_entry(&state, &key).await {
        Ok(entry) if entry.known => {}
        Ok(_) => {
            let e = ApiError::not_found(format!("{} is not known here", dl.canonical()));
            return error_response(&html_headers, &uri, e);
        }
        Err(e) => return error_response(&html_headers, &uri, e),
    }
    let data = state.passport.clone();
    let view = match crate::blocking(&state, move |s| gather(s, data.as_ref(), dl)).await {
        Ok(v) => v,
        Err(e) => return error_response(&html_headers, &uri, e),
    };
    let reported = uri.query().unwrap_or("").contains("reported=1");
    let mut r = html::response(StatusCode::OK, render(&view, lang, uri.path(), reported));
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r.headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept-Language"));
    r
}

/// The request's headers, claiming HTML: passport errors are pages whatever `Accept` says.
fn html_accepting(headers: &HeaderMap) -> HeaderMap {
    let mut h = headers.clone();
    h.insert(header::ACCEPT, HeaderValue::from_static("text/html"));
    h
}

/// `POST /passport/{digital link path}`: a consumer's problem report (form fields
/// `category`, `message`); answered with a redirect back to the page.
pub async fn report(
    State(state): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    body: axum::body::Bytes,
) -> Response {
    let html_headers = html_accepting(&headers);
    let dl = match passport_link(&state, &uri) {
        Ok(dl) => dl,
        Err(e) => return error_response(&html_headers, &uri, e),
    };
    let form = String::from_utf8_lossy(&body).replace('+', "%20");
    let pairs = match crate::paging::parse_query(Some(&form)) {
        Ok(p) => p,
        Err(e) => return error_response(&html_headers, &uri, e),
    };
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let category = field("category");
    let message: String = field("message").chars().take(MAX_REPORT).collect();
    if !matches!(
        category.as_str(),
        "quality" | "counterfeit" | "label" | "other"
    ) || message.is_empty()
    {
        let e = ApiError::validation(
            "choose a category (quality, counterfeit, label, other) and describe the problem",
        );
        return error_response(&html_headers, &uri, e);
    }
    let report = ProblemReport {
        id: format!("{:032x}", rand::random::<u128>()),
        at_ms: now_ms(),
        identifier: dl.canonical(),
        category,
        message,
    };
    if let Err(e) = crate::blocking(&state, move |s| s.add_problem_report(&report)).await {
        return error_response(&html_headers, &uri, e);
    }
    let lang = page_lang(&uri, &headers);
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{}?lang={}&reported=1#report",
        uri.path(),
        lang.tag()
    )) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// Consumer words for CBV business steps.
fn step_label(step: &str, lang: Lang) -> String {
    let (vi, en) = match step {
        "commissioning" => ("Khởi tạo / thu hoạch", "Harvested or made"),
        "harvesting" => ("Thu hoạch", "Harvested"),
        "packing" => ("Đóng gói", "Packed"),
        "shipping" | "departing" => ("Xuất hàng", "Shipped"),
        "receiving" | "arriving" | "accepting" => ("Nhận hàng", "Received"),
        "storing" => ("Lưu kho", "Stored"),
        "transforming" | "creating_class_instance" => ("Chế biến", "Processed"),
        "inspecting" => ("Kiểm tra", "Inspected"),
        "retail_selling" => ("Bán lẻ", "Sold"),
        "loading" => ("Xếp hàng", "Loaded"),
        "holding" => ("Tạm giữ", "On hold"),
        "recalling" => ("Thu hồi", "Recalled"),
        other => return other.replace('_', " "),
    };
    lang.pick(vi, en).to_owned()
}

fn text_of(t: &crate::passport_data::LocalText, lang: Lang) -> &str {
    lang.pick(&t.vi, &t.en)
}

/// The page.
fn render(v: &View, lang: Lang, path: &str, reported: bool) -> String {
    let t = |vi: &'static str, en: &'static str| lang.pick(vi, en);
    let mut main = String::new();
    let name = v
        .product
        .as_ref()
        .map(|p| text_of(&p.name, lang).to_owned())
        .unwrap_or_else(|| {
            format!(
                "{} {}",
                gs1::ai::key_name(v.dl.primary.ai),
                v.dl.primary.value
            )
        });
    // Recall banner first: it is the one thing a consumer must not miss.
    if v.recall.is_some() || v.recalled_by_event {
        let msg = v
            .recall
            .as_ref()
            .map(|r| text_of(&r.message, lang).to_owned())
            .unwrap_or_else(|| {
                t(
                    "Lô hàng này đang bị thu hồi. Không sử dụng sản phẩm; hãy mang trả lại nơi mua.",
                    "This lot is being recalled. Do not use the product; return it to the shop.",
                )
                .to_owned()
            });
        let more = v
            .recall
            .as_ref()
            .and_then(|r| r.url.as_ref())
            .map(|u| {
                format!(
                    " <a href=\"{}\">{}</a>",
                    escape(u),
                    t("Chi tiết", "Details")
                )
            })
            .unwrap_or_default();
        main.push_str(&format!(
            "<section class=\"banner\" role=\"alert\" id=\"recall\"><strong>{}</strong> {}{more}</section>",
            t("THU HỒI", "RECALL"),
            escape(&msg)
        ));
    }
    main.push_str(&format!("<h1>{}</h1>", escape(&name)));
    if let Some(img) = v.product.as_ref().and_then(|p| p.image.as_ref()) {
        main.push_str(&format!(
            "<img class=\"product\" src=\"{}\" alt=\"{}\" width=\"640\" height=\"360\" loading=\"lazy\">",
            escape(img),
            escape(&name)
        ));
    }
    // Facts.
    let mut facts: Vec<(String, String)> = Vec::new();
    let mut fact = |label: &str, value: String| facts.push((label.to_owned(), value));
    if let Some(p) = v.product.as_ref().and_then(|p| p.producer.as_ref()) {
        let badge = if p.verified {
            format!(
                " <span class=\"verified\">✔ {}</span>",
                t("đã xác minh", "verified")
            )
        } else {
            String::new()
        };
        fact(
            t("Nhà sản xuất", "Producer"),
            format!("{}{badge}", escape(text_of(&p.name, lang))),
        );
    }
    let origin: Vec<String> = [v.facts.get("countryOfOrigin").cloned(), first_province(v)]
        .into_iter()
        .flatten()
        .collect();
    if !origin.is_empty() {
        fact(t("Xuất xứ", "Origin"), escape(&origin.join(", ")));
    }
    if let Some(area) = v.facts.get("plantingAreaCode") {
        fact(t("Mã vùng trồng / nuôi", "Farm area code"), escape(area));
    }
    if let Some(d) = v
        .facts
        .get("harvestStartDate")
        .or(v.facts.get("productionDate"))
    {
        fact(
            t("Ngày thu hoạch / sản xuất", "Harvest / production date"),
            escape(d),
        );
    }
    if let Some(packer) = packer(v) {
        fact(
            t("Đóng gói bởi", "Packed by"),
            escape(text_of(&packer.name, lang)),
        );
    }
    if let Some(d) = v
        .facts
        .get("itemExpirationDate")
        .or(v.facts.get("bestBeforeDate"))
    {
        fact(t("Hạn sử dụng", "Expiry"), escape(d));
    }
    if let Some(lot) = v.dl.qualifier("10") {
        fact(t("Số lô", "Lot"), escape(lot));
    }
    if let Some(serial) = v.dl.qualifier("21") {
        fact(t("Số sê-ri", "Serial"), escape(serial));
    }
    fact(
        gs1::ai::key_name(v.dl.primary.ai),
        escape(&v.dl.primary.value),
    );
    if let Some(p) = &v.product {
        if !p.certificates.is_empty() {
            fact(
                t("Chứng nhận", "Certificates"),
                escape(&p.certificates.join(", ")),
            );
        }
    }
    main.push_str("<section class=\"card\" aria-labelledby=\"facts\"><h2 id=\"facts\">");
    main.push_str(t("Thông tin sản phẩm", "Product facts"));
    main.push_str("</h2><dl>");
    for (label, value) in &facts {
        main.push_str(&format!("<dt>{}</dt><dd>{value}</dd>", escape(label)));
    }
    main.push_str("</dl></section>");

    // Authenticity for serialised items.
    if let Some(s) = &v.scans {
        main.push_str("<section class=\"card\" id=\"authenticity\" aria-labelledby=\"auth-h\"><h2 id=\"auth-h\">");
        main.push_str(t("Kiểm tra hàng thật", "Authenticity"));
        main.push_str("</h2>");
        let suspicious = s.regions.len() >= SUSPICIOUS_REGIONS || s.recent > SUSPICIOUS_RATE;
        if suspicious {
            main.push_str(&format!(
                "<p class=\"warn\" role=\"alert\">{}</p>",
                escape(&format!(
                    "{} ({} {}, {} {})",
                    t(
                        "Cảnh báo: mã này đã được quét ở nhiều nơi hoặc quá nhiều lần — có thể là hàng sao chép.",
                        "Warning: this code has been scanned in many places or too often — it may be a copy."
                    ),
                    s.regions.len(),
                    t("tỉnh/thành", "regions"),
                    s.recent,
                    t("lượt quét trong 1 giờ", "scans in the last hour"),
                ))
            ));
        } else if s.count == 0 {
            main.push_str(&format!(
                "<p>{}</p>",
                t(
                    "Mã này chưa được quét qua hệ thống.",
                    "This code has not been scanned through the resolver yet."
                )
            ));
        } else if s.count == 1 {
            main.push_str(&format!(
                "<p class=\"ok\">{}</p>",
                t(
                    "Đây là lần quét đầu tiên của mã này.",
                    "This is the first scan of this code."
                )
            ));
        } else {
            main.push_str(&format!(
                "<p class=\"ok\">{}</p>",
                t("Không thấy dấu hiệu bất thường.", "No sign of copying.")
            ));
        }
        main.push_str("<dl>");
        main.push_str(&format!(
            "<dt>{}</dt><dd>{}</dd>",
            t("Số lượt quét", "Scans"),
            s.count
        ));
        if let Some(first) = s.first_ms {
            main.push_str(&format!(
                "<dt>{}</dt><dd>{}{}</dd>",
                t("Lần quét đầu", "First scan"),
                escape(&crate::capture::rfc3339(first)),
                s.first_region
                    .as_ref()
                    .map(|r| format!(" · {}", escape(r)))
                    .unwrap_or_default()
            ));
        }
        main.push_str("</dl></section>");
    }

    // Journey.
    main.push_str("<section class=\"card\" id=\"journey\" aria-labelledby=\"journey-h\"><h2 id=\"journey-h\">");
    main.push_str(t("Hành trình sản phẩm", "Journey"));
    main.push_str("</h2>");
    if v.steps.is_empty() {
        main.push_str(&format!(
            "<p>{}</p>",
            t(
                "Chưa có sự kiện truy xuất nào.",
                "No traceability events yet."
            )
        ));
    } else {
        main.push_str("<ol class=\"journey\">");
        for s in &v.steps {
            let what = s
                .biz_step
                .as_deref()
                .map(|b| step_label(b, lang))
                .unwrap_or_else(|| s.event_type.clone());
            let place = s
                .gln
                .as_ref()
                .map(|g| match v.places.get(g) {
                    Some(p) => {
                        let prov = p
                            .province
                            .as_ref()
                            .map(|x| format!(", {x}"))
                            .unwrap_or_default();
                        format!("{}{prov}", text_of(&p.name, lang))
                    }
                    None => format!("GLN {g}"),
                })
                .unwrap_or_default();
            let date = s.time.get(..10).unwrap_or(&s.time);
            main.push_str(&format!(
                "<li><time datetime=\"{}\">{}</time> — <strong>{}</strong><br>{}</li>",
                escape(&s.time),
                escape(date),
                escape(&what),
                escape(&place)
            ));
        }
        main.push_str("</ol>");
    }
    main.push_str("</section>");

    // Problem report.
    main.push_str(
        "<section class=\"card\" id=\"report\" aria-labelledby=\"report-h\"><h2 id=\"report-h\">",
    );
    main.push_str(t("Báo cáo vấn đề", "Report a problem"));
    main.push_str("</h2>");
    if reported {
        main.push_str(&format!(
            "<p class=\"ok\" role=\"status\">{}</p>",
            t(
                "Cảm ơn bạn. Báo cáo đã được gửi tới nhà sản xuất.",
                "Thank you. Your report was sent to the producer."
            )
        ));
    }
    main.push_str(&format!(
        "<form method=\"post\" action=\"{action}?lang={tag}\">\
<label for=\"category\">{cat}</label><select id=\"category\" name=\"category\">\
<option value=\"quality\">{q}</option><option value=\"counterfeit\">{c}</option>\
<option value=\"label\">{l}</option><option value=\"other\">{o}</option></select>\
<label for=\"message\">{m}</label><textarea id=\"message\" name=\"message\" rows=\"3\" maxlength=\"{MAX_REPORT}\" required></textarea>\
<p class=\"small\">{privacy}</p><button type=\"submit\">{send}</button></form></section>",
        action = escape(path),
        tag = lang.tag(),
        cat = t("Loại vấn đề", "Kind of problem"),
        q = t("Chất lượng", "Quality"),
        c = t("Nghi hàng giả", "Suspected fake"),
        l = t("Nhãn sai", "Wrong label"),
        o = t("Khác", "Other"),
        m = t("Mô tả", "Description"),
        privacy = t(
            "Không cần thông tin cá nhân. Chúng tôi không lưu địa chỉ IP.",
            "No personal data needed. We do not store your IP address."
        ),
        send = t("Gửi", "Send"),
    ));
    let other = match lang {
        Lang::Vi => "en",
        Lang::En => "vi",
    };
    let switch = format!("{path}?lang={other}");
    html::page(lang, &name, Some(&switch), &main)
}

/// The province of the first place on the journey, when the registry knows it.
fn first_province(v: &View) -> Option<String> {
    v.steps
        .iter()
        .filter_map(|s| s.gln.as_ref())
        .find_map(|g| v.places.get(g).and_then(|p| p.province.clone()))
}

/// The place of the last packing step, when the registry knows it.
fn packer(v: &View) -> Option<&Party> {
    v.steps
        .iter()
        .rev()
        .find(|s| s.biz_step.as_deref() == Some("packing"))
        .and_then(|s| s.gln.as_ref())
        .and_then(|g| v.places.get(g))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cbv_short_forms() {
        assert_eq!(
            short_cbv("https://ref.gs1.org/cbv/BizStep-commissioning"),
            "commissioning"
        );
        assert_eq!(short_cbv("urn:epcglobal:cbv:disp:recalled"), "recalled");
        assert_eq!(
            short_cbv("https://ref.gs1.org/cbv/Disp-in_transit"),
            "in_transit"
        );
        assert_eq!(short_cbv("packing"), "packing");
    }

    #[test]
    fn glns_from_either_form() {
        assert_eq!(
            gln_of("https://id.gs1.org/414/8936010010123").as_deref(),
            Some("8936010010123")
        );
        assert_eq!(
            gln_of("urn:epc:id:sgln:0614141.00777.0").as_deref(),
            Some("0614141007776")
        );
        assert_eq!(gln_of("https://id.gs1.org/01/09520123456788"), None);
    }

    fn stored(body: &serde_json::Value) -> StoredEvent {
        StoredEvent {
            seq: 1,
            event_id: "e".into(),
            event_type: epcis::EventType::TransformationEvent,
            event_time_ms: 0,
            record_time_ms: 0,
            body: body.to_string(),
        }
    }

    #[test]
    fn events_give_steps_facts_and_inputs() {
        let body = serde_json::json!({
            "type": "TransformationEvent",
            "eventTime": "2025-08-01T08:00:00.000+07:00",
            "bizStep": "https://ref.gs1.org/cbv/BizStep-transforming",
            "bizLocation": {"id": "https://id.gs1.org/414/8936010010123"},
            "inputQuantityList": [{"epcClass": "urn:epc:class:lgtin:8936010.001101.HY-A", "quantity": 1}],
            "outputQuantityList": [{"epcClass": "https://id.gs1.org/01/08936010011014/10/DRIED", "quantity": 1}],
            "ilmd": {"cbvmda:itemExpirationDate": "2026-08-01"}
        });
        let readings: Vec<EventReading> = read_event(&stored(&body), &mut HashMap::new())
            .into_iter()
            .collect();
        let dried = "https://id.gs1.org/01/08936010011014/10/DRIED".to_string();
        let inputs = upstream_inputs(&readings, std::slice::from_ref(&dried));
        assert_eq!(
            inputs.into_iter().collect::<Vec<_>>(),
            vec!["https://id.gs1.org/01/08936010011014/10/HY-A".to_string()]
        );
        // Seen from an input lot, the transformation adds no siblings: only what made *us* counts.
        let inputs = upstream_inputs(
            &readings,
            &["https://id.gs1.org/01/08936010011014/10/HY-A".to_string()],
        );
        let (steps, facts) = steps_and_facts(readings);
        assert_eq!(steps[0].biz_step.as_deref(), Some("transforming"));
        assert_eq!(steps[0].gln.as_deref(), Some("8936010010123"));
        assert_eq!(facts["itemExpirationDate"], "2026-08-01");
        assert!(inputs.is_empty(), "{inputs:?}");
    }
}
