//! Enforcement of the access policy (`registry::policy`) on requests: refusing what the
//! policy denies, narrowing queries, showing events in full or consumer-safe, and marking
//! captured events with their owner.

use std::collections::HashSet;

use epcis::query::Condition;
use epcis::{Facet, FacetValue, Query};
use registry::consumer::{consumer_view, hidden_fields};
use registry::facets;
use registry::ownership::{assess, PrefixIndex};
use registry::policy::decide;
use registry::{Action, Caller, Decision, EventScope};
use serde_json::json;
use store::{NewEvent, StoredEvent};

use crate::problem::ApiError;
use crate::{blocking, AppState};

/// Refuses the request unless the policy allows `action`; returns the decision.
pub fn require(caller: &Caller, action: Action<'_>) -> Result<Decision, ApiError> {
    match decide(caller, action) {
        Decision::Deny(d) => Err(d.into()),
        other => Ok(other),
    }
}

/// Which events one reader sees in full.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum View {
    /// Every event.
    All,
    /// Events owned by these organisations.
    Owners(Vec<String>),
    /// Events whose owner is registered in these provinces.
    Provinces(Vec<String>),
    /// None: everything is shown consumer-safe.
    Consumer,
}

impl View {
    /// The view as JSON, to be kept with something that reads on the caller's behalf later
    /// (a subscription).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            View::All => json!({"all": true}),
            View::Owners(orgs) => json!({"owners": orgs}),
            View::Provinces(codes) => json!({"provinces": codes}),
            View::Consumer => json!({"consumer": true}),
        }
    }

    /// The view kept by [`View::to_json`]; anything unreadable is the narrowest view.
    pub fn from_json(value: &serde_json::Value) -> View {
        let strings = |key: &str| -> Option<Vec<String>> {
            value.get(key)?.as_array().map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
        };
        if value.get("all") == Some(&json!(true)) {
            View::All
        } else if let Some(orgs) = strings("owners") {
            View::Owners(orgs)
        } else if let Some(codes) = strings("provinces") {
            View::Provinces(codes)
        } else {
            View::Consumer
        }
    }

    /// The facet condition selecting the events seen in full (`None` for all or none).
    fn condition(&self) -> Option<Condition> {
        match self {
            View::Owners(orgs) => Some(Condition::TextIn {
                fields: vec![facets::OWNER.into()],
                values: orgs.clone(),
            }),
            View::Provinces(codes) => Some(Condition::TextIn {
                fields: vec![facets::PROVINCE.into()],
                values: codes.clone(),
            }),
            View::All | View::Consumer => None,
        }
    }
}

/// Turns a policy scope into a view, looking up the organisations that named the
/// caller's organisation as a trading partner.
pub async fn expand(state: &AppState, scope: EventScope) -> Result<View, ApiError> {
    Ok(match scope {
        EventScope::All => View::All,
        EventScope::ConsumerOnly => View::Consumer,
        EventScope::Provinces(p) => View::Provinces(p),
        EventScope::Organisation(org) => {
            let lookup = org.clone();
            let mut orgs = blocking(state, move |s| s.named_by(&lookup)).await?;
            orgs.push(org);
            View::Owners(orgs)
        }
    })
}

/// The view of `caller` for reading events (refused when the policy denies reading).
pub async fn read_view(state: &AppState, caller: &Caller) -> Result<View, ApiError> {
    match require(caller, Action::ReadEvents)? {
        Decision::Within(scope) => expand(state, scope).await,
        _ => Ok(View::All),
    }
}

/// Narrows a query so that it cannot reveal hidden data: a query reading fields the
/// consumer view hides is limited to the events the reader sees in full, and refused to
/// the public.
pub fn restrict(view: &View, query: &mut Query) -> Result<(), ApiError> {
    let hidden = hidden_fields(query);
    if hidden.is_empty() || *view == View::All {
        return Ok(());
    }
    match view.condition() {
        Some(c) => {
            query.conditions.push(c);
            Ok(())
        }
        None => Err(ApiError::unauthenticated(format!(
            "sign in to query by {}: it is not public data",
            hidden.join(", ")
        ))
        .with("parameter", json!(hidden))),
    }
}

/// The events among `seqs` that a reader with `view` sees in full.
pub async fn seen_in_full(
    state: &AppState,
    view: &View,
    seqs: Vec<i64>,
) -> Result<HashSet<i64>, ApiError> {
    match view {
        View::All => Ok(seqs.into_iter().collect()),
        View::Consumer => Ok(HashSet::new()),
        View::Owners(values) | View::Provinces(values) => {
            let field = if matches!(view, View::Owners(_)) {
                facets::OWNER
            } else {
                facets::PROVINCE
            };
            let values = values.clone();
            Ok(
                blocking(state, move |s| s.seqs_with_facet(field, &values, &seqs))
                    .await?
                    .into_iter()
                    .collect(),
            )
        }
    }
}

/// Replaces the body of every event the reader may not see in full by its consumer view.
pub async fn present(
    state: &AppState,
    view: &View,
    mut events: Vec<StoredEvent>,
) -> Result<Vec<StoredEvent>, ApiError> {
    if *view == View::All {
        return Ok(events);
    }
    let full = seen_in_full(state, view, events.iter().map(|e| e.seq).collect()).await?;
    for e in events.iter_mut().filter(|e| !full.contains(&e.seq)) {
        let body: serde_json::Value = serde_json::from_str(&e.body).map_err(|err| {
            ApiError::internal(format!("stored event {} is not JSON: {err}", e.event_id))
        })?;
        e.body = consumer_view(&body).to_string();
    }
    Ok(events)
}

/// How capture treats an identifier the capturing organisation does not own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OwnershipRule {
    /// Refuse the event with a validation error naming the identifier.
    #[default]
    Reject,
    /// Store it with the flag `ownership`, shown to officials.
    Flag,
}

impl OwnershipRule {
    /// Parses `reject` or `flag`.
    pub fn parse(text: &str) -> Option<OwnershipRule> {
        match text {
            "reject" => Some(OwnershipRule::Reject),
            "flag" => Some(OwnershipRule::Flag),
            _ => None,
        }
    }
}

/// The flag raised on an event using identifiers its capturer does not own.
pub const OWNERSHIP_FLAG: &str = "ownership";

/// The flag on an event naming an export code in a flagging state.
pub fn code_flag(code: &str, status: &str) -> String {
    format!("code:{code}:{status}")
}

/// What capture needs to know about the capturing organisation.
#[derive(Debug, Clone)]
pub struct Capturer {
    /// Registry id.
    pub org: String,
    /// Province code ("" abroad).
    pub province: String,
    /// All registered prefixes.
    pub index: PrefixIndex,
    /// The configured rule.
    pub rule: OwnershipRule,
    /// Export codes whose state flags events, with that state (`suspended`, `revoked`).
    pub flagging_codes: std::collections::HashMap<String, &'static str>,
}

impl Capturer {
    /// Loads the organisation and the prefix index. Blocking.
    pub fn load(
        store: &dyn store::Backend,
        org: &str,
        rule: OwnershipRule,
    ) -> Result<Capturer, store::StoreError> {
        let province = store
            .organisation(org)?
            .map(|o| o.details.province_code)
            .unwrap_or_default();
        Ok(Capturer {
            org: org.to_owned(),
            province,
            index: PrefixIndex::new(store.company_prefixes()?),
            rule,
            flagging_codes: store
                .flagging_codes()?
                .into_iter()
                .map(|c| (c.code, c.status.as_str()))
                .collect(),
        })
    }

    /// Marks an event as this organisation's and checks its identifiers. Returns the
    /// message when the event must be refused; adds the trading partners it names to
    /// `partners`.
    pub fn mark(&self, event: &mut NewEvent, partners: &mut HashSet<String>) -> Option<String> {
        let assessment = assess(event.event_type, &event.facets, &self.org, &self.index);
        if !assessment.violations.is_empty() && self.rule == OwnershipRule::Reject {
            let messages: Vec<String> = assessment
                .violations
                .iter()
                .map(|v| v.message(&self.org))
                .collect();
            return Some(messages.join("; "));
        }
        partners.extend(assessment.partners);
        // Clients cannot send these fields (see registry::facets), but be certain.
        event.facets.retain(|f| !f.field.starts_with("tp:"));
        let text = |field: &str, value: &str| Facet {
            field: field.into(),
            value: FacetValue::Text(value.into()),
        };
        event.facets.push(text(facets::OWNER, &self.org));
        if !self.province.is_empty() {
            event.facets.push(text(facets::PROVINCE, &self.province));
        }
        if !assessment.violations.is_empty() {
            event.facets.push(text(facets::FLAG, OWNERSHIP_FLAG));
        }
        let code_flags: Vec<String> = event
            .facets
            .iter()
            .filter(|f| registry::codes::CODE_FIELDS.contains(&f.field.as_str()))
            .filter_map(|f| match &f.value {
                FacetValue::Text(code) => self
                    .flagging_codes
                    .get(code)
                    .map(|status| code_flag(code, status)),
                FacetValue::Number(_) => None,
            })
            .collect();
        for flag in code_flags {
            event.facets.push(text(facets::FLAG, &flag));
        }
        None
    }
}
