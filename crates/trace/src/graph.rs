//! The result of a trace: identifiers (nodes), the events that link them (edges), every
//! event of the trace with its parties, places and quantities, and summaries of the
//! parties and locations involved.

use std::collections::HashSet;
use std::sync::Arc;

use epcis::model::Action;
use rustc_hash::{FxHashMap, FxHashSet};
use serde::ser::{SerializeStruct, Serializer};
use serde::Serialize;

use crate::engine::{Direction, Id, Names, TraceRequest};
use crate::node::{classify, NodeKind, NodeRef};
use crate::record::{EventRecord, Role};

/// How an edge links two identifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum EdgeKind {
    /// `from` was an input of a transformation that made `to`.
    Transformed,
    /// `from` (a parent) contained `to` (a child), by aggregation.
    Contains,
    /// `from` (a parent) was associated with `to` (a child).
    Associated,
    /// `to` is an item of lot `from`.
    LotItem,
}

/// One identifier of the trace.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Node {
    /// Canonical identifier.
    pub id: String,
    /// What it names.
    #[serde(flatten)]
    pub what: NodeRef,
    /// The identifier the trace started from.
    pub start: bool,
    /// Reached going backward (an input, ingredient or origin).
    pub upstream: bool,
    /// Reached going forward (an output or destination).
    pub downstream: bool,
    /// A container or device that carried traced goods for a while.
    pub carrier: bool,
    /// Indices (into [`TraceGraph::events`]) of this identifier's events in the trace.
    pub events: Vec<usize>,
}

impl Node {
    /// A short two-line label: what the identifier is, and its distinguishing part.
    pub fn label(&self) -> (String, String) {
        let w = &self.what;
        let gtin = || format!("GTIN {}", w.gtin.as_deref().unwrap_or_default());
        match w.kind {
            NodeKind::Lot => (
                format!("Lot {}", w.lot.as_deref().unwrap_or_default()),
                gtin(),
            ),
            NodeKind::Item => (
                format!("Item {}", w.serial.as_deref().unwrap_or_default()),
                gtin(),
            ),
            NodeKind::LogisticUnit => ("SSCC".into(), w.sscc.clone().unwrap_or_default()),
            _ => {
                let tail = self.id.rsplit('/').next().unwrap_or(&self.id);
                ("Identifier".into(), tail.to_owned())
            }
        }
    }
}

/// A link between two identifiers, made by one event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Edge {
    /// Upstream identifier (input, parent, lot).
    pub from: String,
    /// Downstream identifier (output, child, item).
    pub to: String,
    /// How they are linked.
    pub kind: EdgeKind,
    /// Index into [`TraceGraph::events`].
    pub event: usize,
}

/// One event of the trace.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceEvent {
    /// What the event says (identifiers, parties, places, quantities); shared with the
    /// store's cache of decoded records.
    pub record: Arc<EventRecord>,
    /// The traced identifiers this event was found under.
    pub nodes: Vec<String>,
}

impl TraceEvent {
    /// The event time in the event's own time zone (RFC 3339).
    pub fn local_time(&self) -> String {
        local_time(self.record.time_ms, &self.record.time_zone)
    }

    /// Where the event happened: `bizLocation`, else `readPoint`.
    pub fn place(&self) -> Option<&str> {
        self.record
            .biz_location
            .as_deref()
            .or(self.record.read_point.as_deref())
    }
}

/// `ms` written in the zone `offset` (`+07:00`); UTC when the offset is unreadable.
pub fn local_time(ms: i64, offset: &str) -> String {
    let minutes = parse_offset(offset);
    let shifted = ms.saturating_add(minutes.unwrap_or(0) * 60_000);
    let mut text = epcis::lexical::format_time_ms(shifted).unwrap_or_default();
    if let (Some(_), Some('Z')) = (minutes, text.chars().last()) {
        text.pop();
        text.push_str(offset);
    }
    text
}

fn parse_offset(offset: &str) -> Option<i64> {
    if offset == "Z" {
        return Some(0);
    }
    let sign = match offset.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (h, m) = offset.get(1..)?.split_once(':')?;
    let (h, m) = (h.parse::<i64>().ok()?, m.parse::<i64>().ok()?);
    (h < 24 && m < 60 && offset.len() == 6).then_some(sign * (h * 60 + m))
}

impl Serialize for TraceEvent {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Ident<'a> {
            role: &'static str,
            id: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            quantity: Option<f64>,
            #[serde(skip_serializing_if = "Option::is_none")]
            uom: Option<&'a str>,
        }
        #[derive(Serialize)]
        struct Typed<'a> {
            #[serde(rename = "type", skip_serializing_if = "str::is_empty")]
            kind: &'a str,
            id: &'a str,
        }
        let r = &self.record;
        fn typed(list: &[crate::record::Party]) -> Vec<Typed<'_>> {
            list.iter()
                .map(|p| Typed {
                    kind: &p.kind,
                    id: &p.id,
                })
                .collect()
        }
        let idents: Vec<Ident> = r
            .links
            .iter()
            .map(|l| Ident {
                role: role_name(l.role),
                id: &l.node,
                quantity: l.quantity,
                uom: l.uom.as_deref(),
            })
            .collect();
        let mut st = s.serialize_struct("TraceEvent", 15)?;
        st.serialize_field("eventID", &r.event_id)?;
        st.serialize_field("type", r.event_type.as_str())?;
        st.serialize_field("eventTime", &self.local_time())?;
        st.serialize_field("eventTimeMs", &r.time_ms)?;
        st.serialize_field("action", &r.action.map(Action::as_str))?;
        st.serialize_field("bizStep", &r.biz_step)?;
        st.serialize_field("disposition", &r.disposition)?;
        st.serialize_field("readPoint", &r.read_point)?;
        st.serialize_field("bizLocation", &r.biz_location)?;
        st.serialize_field("sources", &typed(&r.sources))?;
        st.serialize_field("destinations", &typed(&r.destinations))?;
        st.serialize_field("bizTransactions", &typed(&r.biz_transactions))?;
        st.serialize_field("identifiers", &idents)?;
        st.serialize_field("tracedAs", &self.nodes)?;
        st.end()
    }
}

/// The name of a role in the JSON graph.
pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::Epc => "epc",
        Role::Parent => "parent",
        Role::Child => "child",
        Role::Input => "input",
        Role::Output => "output",
        Role::LotOf => "lot",
    }
}

/// A party (owning or possessing) named by the trace's events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartySummary {
    /// The party's identifier (usually a GLN as a Digital Link).
    pub id: String,
    /// How it appears (`source owning_party`, `destination possessing_party`, …).
    pub roles: Vec<String>,
    /// Number of the trace's events naming it.
    pub events: usize,
}

/// A place named by the trace's events (read point, business location, source or destination).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LocationSummary {
    /// The location's identifier (usually an SGLN / GLN as a Digital Link).
    pub id: String,
    /// Number of the trace's events naming it.
    pub events: usize,
}

/// Where an upstream lot or item was first recorded: for farm produce, the plot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Origin {
    /// The lot or item.
    pub node: String,
    /// The place of its commissioning event.
    pub location: Option<String>,
    /// Index into [`TraceGraph::events`].
    pub event: usize,
}

/// The trace.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TraceGraph {
    /// The identifier traced.
    pub start: String,
    /// Which way.
    pub direction: Direction,
    /// Lower time bound asked for, epoch ms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_ms: Option<i64>,
    /// Upper time bound asked for, epoch ms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_ms: Option<i64>,
    /// True when the node limit stopped the trace early.
    pub truncated: bool,
    /// Identifiers, the start first.
    pub nodes: Vec<Node>,
    /// Links between identifiers.
    pub edges: Vec<Edge>,
    /// Events, in time order.
    pub events: Vec<TraceEvent>,
    /// Parties involved.
    pub parties: Vec<PartySummary>,
    /// Places involved.
    pub locations: Vec<LocationSummary>,
}

impl TraceGraph {
    /// Keeps only the events `keep` accepts (a viewer's access policy), and the edges and
    /// identifiers that still have an event. The start identifier always stays.
    pub fn retain_events(&mut self, keep: impl Fn(&TraceEvent) -> bool) {
        let mut map = vec![None; self.events.len()];
        let mut kept = Vec::with_capacity(self.events.len());
        for (i, e) in std::mem::take(&mut self.events).into_iter().enumerate() {
            if keep(&e) {
                map[i] = Some(kept.len());
                kept.push(e);
            }
        }
        self.events = kept;
        self.edges.retain_mut(|edge| match map[edge.event] {
            Some(j) => {
                edge.event = j;
                true
            }
            None => false,
        });
        for node in &mut self.nodes {
            node.events = node.events.iter().filter_map(|&i| map[i]).collect();
        }
        let linked: HashSet<&str> = self
            .edges
            .iter()
            .flat_map(|e| [e.from.as_str(), e.to.as_str()])
            .collect();
        let linked: HashSet<String> = linked.into_iter().map(str::to_owned).collect();
        self.nodes
            .retain(|n| n.start || !n.events.is_empty() || linked.contains(&n.id));
        self.summarise();
    }

    /// The edges in the direction goods flow (input → output, lot → item, goods → the
    /// container carrying them, an opened container → its contents), for drawing the graph
    /// left to right and printing it as a tree.
    pub fn flows(&self) -> Vec<(&str, &str)> {
        self.edges
            .iter()
            .map(|e| match e.kind {
                EdgeKind::Transformed | EdgeKind::LotItem => (e.from.as_str(), e.to.as_str()),
                EdgeKind::Contains | EdgeKind::Associated => {
                    let carrier = self.node(&e.from).is_some_and(|n| n.carrier && !n.start);
                    if carrier {
                        (e.to.as_str(), e.from.as_str())
                    } else {
                        (e.from.as_str(), e.to.as_str())
                    }
                }
            })
            .collect()
    }

    /// The node `id`.
    pub fn node(&self, id: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.id == id)
    }

    /// The origins of the trace's upstream lots and items: their commissioning events
    /// (`ObjectEvent` `ADD`) and places. The EUDR plot GeoJSON is built from these places
    /// once the registry gives each place its geometry.
    pub fn origins(&self) -> Vec<Origin> {
        let upstream: HashSet<&str> = self
            .nodes
            .iter()
            .filter(|n| n.start || n.upstream)
            .map(|n| n.id.as_str())
            .collect();
        let mut out = Vec::new();
        for (i, e) in self.events.iter().enumerate() {
            let r = &e.record;
            if r.event_type != epcis::EventType::ObjectEvent || r.action != Some(Action::Add) {
                continue;
            }
            for l in r.with_role(Role::Epc) {
                if upstream.contains(l.node.as_str())
                    && matches!(classify(&l.node).kind, NodeKind::Lot | NodeKind::Item)
                {
                    out.push(Origin {
                        node: l.node.clone(),
                        location: e.place().map(str::to_owned),
                        event: i,
                    });
                }
            }
        }
        out
    }

    fn summarise(&mut self) {
        /// A party or place while counting: events are visited in order, so remembering
        /// the last one counted is enough to count each event once.
        #[derive(Default)]
        struct Tally<'a> {
            roles: Vec<(&'static str, &'a str)>,
            events: usize,
            last: Option<usize>,
        }
        impl Tally<'_> {
            fn count(&mut self, i: usize) {
                if self.last != Some(i) {
                    self.last = Some(i);
                    self.events += 1;
                }
            }
        }
        let mut parties: FxHashMap<&str, Tally> = FxHashMap::default();
        let mut places: FxHashMap<&str, Tally> = FxHashMap::default();
        for (i, e) in self.events.iter().enumerate() {
            let r = &e.record;
            for place in [&r.read_point, &r.biz_location].into_iter().flatten() {
                places.entry(place).or_default().count(i);
            }
            for (side, list) in [("source", &r.sources), ("destination", &r.destinations)] {
                for p in list {
                    if p.kind == "location" {
                        places.entry(&p.id).or_default().count(i);
                    } else if p.kind.ends_with("party") {
                        let entry = parties.entry(&p.id).or_default();
                        if !entry.roles.contains(&(side, p.kind.as_ref())) {
                            entry.roles.push((side, &p.kind));
                        }
                        entry.count(i);
                    }
                }
            }
        }
        let mut parties: Vec<PartySummary> = parties
            .into_iter()
            .map(|(id, t)| {
                let mut roles: Vec<String> = t
                    .roles
                    .iter()
                    .map(|(side, kind)| format!("{side} {kind}"))
                    .collect();
                roles.sort();
                PartySummary {
                    id: id.to_owned(),
                    roles,
                    events: t.events,
                }
            })
            .collect();
        parties.sort_unstable_by(|a, b| a.id.cmp(&b.id));
        self.parties = parties;
        let mut locations: Vec<LocationSummary> = places
            .into_iter()
            .map(|(id, t)| LocationSummary {
                id: id.to_owned(),
                events: t.events,
            })
            .collect();
        locations.sort_unstable_by(|a, b| a.id.cmp(&b.id));
        self.locations = locations;
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct Flags {
    upstream: bool,
    downstream: bool,
    carrier: bool,
}

/// Collects a trace while the engine walks, by identifier number (see [`Names`]; the
/// start is 0) and event index.
pub(crate) struct GraphBuilder {
    /// By identifier number: `Some` for the trace's identifiers.
    nodes: Vec<Option<Flags>>,
    count: usize,
    /// By event index: the identifiers each event was found under (empty: not included).
    included: Vec<Vec<Id>>,
    edges: FxHashSet<(Id, Id, EdgeKind, usize)>,
}

impl GraphBuilder {
    pub(crate) fn new() -> GraphBuilder {
        GraphBuilder {
            nodes: Vec::new(),
            count: 0,
            included: Vec::new(),
            edges: FxHashSet::default(),
        }
    }

    pub(crate) fn has_node(&self, id: Id) -> bool {
        self.nodes.get(id as usize).is_some_and(Option::is_some)
    }

    pub(crate) fn node_count(&self) -> usize {
        self.count
    }

    fn flags(&mut self, id: Id) -> &mut Flags {
        let i = id as usize;
        if self.nodes.len() <= i {
            self.nodes.resize(i + 1, None);
        }
        let slot = &mut self.nodes[i];
        if slot.is_none() {
            self.count += 1;
        }
        slot.get_or_insert_with(Flags::default)
    }

    pub(crate) fn add_node(&mut self, id: Id) {
        self.flags(id);
    }

    /// Records how a visit reached `id`.
    pub(crate) fn mark(&mut self, id: Id, backward: bool, carrier: bool) {
        let f = self.flags(id);
        if carrier {
            f.carrier = true;
        } else if backward {
            f.upstream = true;
        } else {
            f.downstream = true;
        }
    }

    /// Event `i` belongs to the trace, found under `node`.
    pub(crate) fn include(&mut self, i: usize, node: Id) {
        if self.included.len() <= i {
            self.included.resize_with(i + 1, Vec::new);
        }
        let list = &mut self.included[i];
        if !list.contains(&node) {
            list.push(node);
        }
    }

    pub(crate) fn edge(&mut self, from: Id, to: Id, kind: EdgeKind, event: usize) {
        self.edges.insert((from, to, kind, event));
    }

    /// The graph; `classes` holds what the engine already read of identifiers (by
    /// [`classify`], by number), the others are classified here.
    pub(crate) fn finish(
        self,
        request: &TraceRequest,
        names: &Names,
        events: Vec<Arc<EventRecord>>,
        mut classes: Vec<Option<NodeRef>>,
        truncated: bool,
    ) -> TraceGraph {
        // Each record's time read once (the records are spread over the heap): the eventID
        // only breaks ties, and no two events of a trace share one.
        let mut order: Vec<(i64, usize)> = (0..self.included.len())
            .filter(|&i| !self.included[i].is_empty())
            .map(|i| (events[i].time_ms, i))
            .collect();
        order.sort_unstable_by(|&(ta, a), &(tb, b)| {
            ta.cmp(&tb)
                .then_with(|| events[a].event_id.cmp(&events[b].event_id))
        });
        // Engine index → graph index.
        let mut map = vec![None; events.len()];
        // Identifier number → the graph's events found under it.
        let mut node_events: Vec<Vec<usize>> = vec![Vec::new(); self.nodes.len()];
        let mut out_events = Vec::with_capacity(order.len());
        let mut included = self.included;
        for (j, &(_, i)) in order.iter().enumerate() {
            map[i] = Some(j);
            let mut ids = std::mem::take(&mut included[i]);
            ids.sort_unstable_by(|&a, &b| names.name(a).cmp(names.name(b)));
            for &id in &ids {
                if let Some(list) = node_events.get_mut(id as usize) {
                    list.push(j);
                }
            }
            out_events.push(TraceEvent {
                record: Arc::clone(&events[i]),
                nodes: ids.iter().map(|&id| names.name(id).to_owned()).collect(),
            });
        }
        let mut nodes: Vec<Node> = Vec::with_capacity(self.count);
        for (i, flags) in self.nodes.iter().enumerate() {
            let Some(f) = flags else { continue };
            let id = names.name(i as Id);
            nodes.push(Node {
                what: classes
                    .get_mut(i)
                    .and_then(Option::take)
                    .unwrap_or_else(|| classify(id)),
                start: i == 0,
                upstream: f.upstream,
                downstream: f.downstream,
                carrier: f.carrier,
                events: std::mem::take(&mut node_events[i]),
                id: id.to_owned(),
            });
        }
        nodes.sort_by(|a, b| b.start.cmp(&a.start).then_with(|| a.id.cmp(&b.id)));
        let mut edges: Vec<(usize, Id, Id, EdgeKind)> = self
            .edges
            .into_iter()
            .filter_map(|(from, to, kind, i)| Some(((*map.get(i)?)?, from, to, kind)))
            .collect();
        edges.sort_unstable_by(|a, b| {
            (a.0, names.name(a.1), names.name(a.2), a.3).cmp(&(
                b.0,
                names.name(b.1),
                names.name(b.2),
                b.3,
            ))
        });
        let edges = edges
            .into_iter()
            .map(|(event, from, to, kind)| Edge {
                from: names.name(from).to_owned(),
                to: names.name(to).to_owned(),
                kind,
                event,
            })
            .collect();
        let mut graph = TraceGraph {
            start: names.name(0).to_owned(),
            direction: request.direction,
            from_ms: request.from_ms,
            to_ms: request.to_ms,
            truncated,
            nodes,
            edges,
            events: out_events,
            parties: Vec::new(),
            locations: Vec::new(),
        };
        graph.summarise();
        graph
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_times_keep_the_event_zone() {
        assert_eq!(
            local_time(1_753_659_000_000, "+07:00"),
            "2025-07-28T06:30:00.000+07:00"
        );
        assert_eq!(local_time(0, "bogus"), "1970-01-01T00:00:00.000Z");
        assert_eq!(local_time(0, "-05:30"), "1969-12-31T18:30:00.000-05:30");
    }
}
