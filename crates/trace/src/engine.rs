//! The traversal. A trace is a set of *visits*: an identifier, a direction and a time
//! window. Following the chain of custody, each visit looks at the events touching its
//! identifier inside its window and derives new visits:
//!
//! - transformation: backward from an output to every input (before the transformation),
//!   forward from an input to every output (after it);
//! - aggregation and association: while a child is in a parent (from `ADD`/`OBSERVE` to the
//!   `DELETE` that takes it, or all children, out), the parent *carries* it: the parent's
//!   events in that interval belong to the child's journey. A carrier is never opened to
//!   its other aggregated children, so a pallet reused after disaggregation pulls in
//!   nothing else; its associated children (sensors, assets) carry on with it for the
//!   same interval. Tracing *from* a container (the start, or a transformation output)
//!   opens it: its contents are traced backward to their origins and forward to their
//!   destinations;
//! - lots and items: an item traced backward brings in its lot's origin; a lot traced
//!   forward brings in its items.
//!
//! Object and transaction events attach to the identifiers they name (shipping, receiving,
//! selling: the parties and places of the trace) without linking identifiers to each other.

use std::hash::BuildHasher;
use std::sync::Arc;

use foldhash::fast::RandomState;
use rustc_hash::FxHashMap;

use epcis::model::Action;
use epcis::EventType;
use serde::{Deserialize, Serialize};

use crate::graph::{EdgeKind, GraphBuilder, TraceGraph};
use crate::node::{classify, NodeKind, NodeRef};
use crate::record::{EventRecord, Role};

/// Which way to trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Inputs, ingredients, origins and suppliers.
    Backward,
    /// Outputs, shipments, receivers and outlets.
    Forward,
    /// Both.
    #[default]
    Both,
}

impl Direction {
    /// Reads `backward`, `forward` or `both`.
    pub fn parse(text: &str) -> Option<Direction> {
        match text {
            "backward" => Some(Direction::Backward),
            "forward" => Some(Direction::Forward),
            "both" => Some(Direction::Both),
            _ => None,
        }
    }
}

/// What to trace.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceRequest {
    /// The starting identifier, canonical (see [`crate::node::parse_key`]).
    pub start: String,
    /// Which way.
    pub direction: Direction,
    /// Only events at or after this time (epoch ms).
    pub from_ms: Option<i64>,
    /// Only events at or before this time (epoch ms).
    pub to_ms: Option<i64>,
    /// Stop adding identifiers beyond this many (the graph is then marked truncated).
    pub max_nodes: usize,
}

impl TraceRequest {
    /// A trace of `start` both ways over all time, up to 10,000 identifiers.
    pub fn new(start: impl Into<String>) -> TraceRequest {
        TraceRequest {
            start: start.into(),
            direction: Direction::Both,
            from_ms: None,
            to_ms: None,
            max_nodes: 10_000,
        }
    }
}

/// Where the events come from (the store's trace index, or a list in tests).
pub trait EventSource {
    /// The source's error.
    type Error;
    /// Every event that names any of `nodes` (canonical identifiers) in any role,
    /// including [`Role::LotOf`]. Order does not matter; an event may come more than once,
    /// and an event already returned by an earlier call of the same trace may be left out
    /// (the engine remembers every event it was given). Shared: a store may keep decoded
    /// records for later traces, and the graph hands them on without copying.
    fn events_touching(&mut self, nodes: &[String]) -> Result<Vec<Arc<EventRecord>>, Self::Error>;
}

/// A trace that could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum TraceError<E> {
    /// The event source failed.
    #[error("cannot read events: {0}")]
    Source(E),
}

/// How a visit reached its identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Mode {
    /// What the identifier came from.
    Back,
    /// What the identifier went on to.
    Forward,
    /// A container carrying traced goods, reached going backward.
    CarrierBack,
    /// A container carrying traced goods, reached going forward.
    CarrierForward,
}

impl Mode {
    fn backward(self) -> bool {
        matches!(self, Mode::Back | Mode::CarrierBack)
    }
    fn carrier(self) -> bool {
        matches!(self, Mode::CarrierBack | Mode::CarrierForward)
    }
    fn carrier_of(self) -> Mode {
        if self.backward() {
            Mode::CarrierBack
        } else {
            Mode::CarrierForward
        }
    }
}

/// An identifier of the trace, numbered in the order the walk first met it (the start is
/// 0): the walk compares and indexes numbers, and each identifier string is hashed once.
pub(crate) type Id = u32;

/// The identifiers met by one trace, numbered, their text kept one after the other in
/// one string (no allocation per identifier). The strings come from senders' events, so
/// they are looked up by a hash with a fresh random seed per trace (foldhash: as fast as
/// FxHash on these strings, but a sender cannot prepare identifiers that collide, since
/// the seed is new for every trace and never shown); everything keyed by number after that
/// is indexed directly.
#[derive(Default)]
pub(crate) struct Names {
    text: String,
    /// Where each identifier's text ends in `text` (it starts where the previous one ends).
    ends: Vec<usize>,
    /// Identifier number by hash of its text; `collided` lists the rare identifiers whose
    /// hash another identifier had first.
    by_hash: FxHashMap<u64, Id>,
    collided: Vec<Id>,
    seed: RandomState,
}

impl Names {
    /// The number of `name`, given it if new.
    fn intern(&mut self, name: &str) -> Id {
        let hash = self.seed.hash_one(name);
        let collision = match self.by_hash.get(&hash) {
            None => false,
            Some(&id) if self.name(id) == name => return id,
            Some(_) => {
                if let Some(&id) = self.collided.iter().find(|&&id| self.name(id) == name) {
                    return id;
                }
                true
            }
        };
        let id = Id::try_from(self.ends.len()).unwrap_or(Id::MAX);
        self.text.push_str(name);
        self.ends.push(self.text.len());
        if collision {
            self.collided.push(id);
        } else {
            self.by_hash.insert(hash, id);
        }
        id
    }

    /// How many identifiers are numbered.
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    /// The identifier numbered `id`.
    pub(crate) fn name(&self, id: Id) -> &str {
        let i = id as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.text[start..self.ends[i]]
    }
}

#[derive(Debug, Clone, Copy)]
struct Visit {
    node: Id,
    mode: Mode,
    lo: i64,
    hi: i64,
}

/// What the walk reads of an event, with its identifiers numbered (its links are
/// `links[start..end]` of the walk).
#[derive(Debug, Clone, Copy)]
struct Ev {
    time_ms: i64,
    event_type: EventType,
    action: Option<Action>,
    start: u32,
    end: u32,
}

/// One link of an event: role and identifier.
type LinkId = (Role, Id);

/// No entry (end of a chain in `Walk::touching`).
const NONE: u32 = u32::MAX;

/// What the walk knows of one identifier.
struct NodeState {
    /// The last of the events touching it among the events known so far: an entry of
    /// `Walk::touching`, which chains to the others.
    touching: u32,
    /// Set once its events are loaded: where those events are listed in `Walk::lists`, in
    /// time order.
    loaded: Option<(u32, u32)>,
    /// The last window it was already traced over: an entry of `Walk::done`, which chains
    /// to the others.
    done: u32,
    /// What it names, read once per trace (parsing a Digital Link is costly).
    class: Option<NodeRef>,
}

impl Default for NodeState {
    fn default() -> NodeState {
        NodeState {
            touching: NONE,
            loaded: None,
            done: NONE,
            class: None,
        }
    }
}

/// Computes the trace graph of `request` over `source`.
pub fn trace<S: EventSource>(
    source: &mut S,
    request: &TraceRequest,
) -> Result<TraceGraph, TraceError<S::Error>> {
    let lo = request.from_ms.unwrap_or(i64::MIN);
    let hi = request.to_ms.unwrap_or(i64::MAX);
    let mut walk = Walk::new(request);
    let mut queue = Vec::new();
    if request.direction != Direction::Forward {
        queue.push(walk.start_visit(Mode::Back, lo, hi));
    }
    if request.direction != Direction::Backward {
        queue.push(walk.start_visit(Mode::Forward, lo, hi));
    }
    let mut need = Vec::new();
    while !queue.is_empty() {
        queue.retain(|v| !walk.covered(v));
        let missing: Vec<Id> = queue.iter().map(|v| v.node).collect();
        walk.load(source, missing)?;
        let mut next = Vec::new();
        for visit in queue {
            if !walk.process(&visit, &mut need) {
                next.push(visit);
            }
        }
        walk.load(source, std::mem::take(&mut need))?;
        next.append(&mut walk.pending);
        queue = next;
    }
    let classes = walk.nodes.into_iter().map(|n| n.class).collect();
    Ok(walk
        .graph
        .finish(request, &walk.names, walk.events, classes, walk.truncated))
}

struct Walk {
    events: Vec<Arc<EventRecord>>,
    /// The walk's view of `events`, by the same index.
    evs: Vec<Ev>,
    /// The links of every event in `evs`, one after the other.
    links: Vec<LinkId>,
    /// The events given so far, by a seeded hash of their `eventID` (not the text: no copy
    /// per event); `collided` lists the rare events whose hash another eventID had first.
    by_id: FxHashMap<u64, u32>,
    collided: Vec<u32>,
    id_hash: RandomState,
    names: Names,
    /// By identifier number.
    nodes: Vec<NodeState>,
    /// Chains of the events touching each identifier: (event, the previous entry of the
    /// same identifier or [`NONE`]).
    touching: Vec<(u32, u32)>,
    /// The loaded identifiers' events in time order, one list after the other.
    lists: Vec<u32>,
    /// Chains of the windows each identifier was traced over: (mode, from, to, the previous
    /// entry of the same identifier or [`NONE`]).
    done: Vec<(Mode, i64, i64, u32)>,
    pending: Vec<Visit>,
    /// Scratch list of the visits one event leads to.
    new: Vec<(Id, Id, EdgeKind, Visit)>,
    graph: GraphBuilder,
    max_nodes: usize,
    truncated: bool,
}

impl Walk {
    fn new(request: &TraceRequest) -> Walk {
        let mut walk = Walk {
            events: Vec::new(),
            evs: Vec::new(),
            links: Vec::new(),
            by_id: FxHashMap::default(),
            collided: Vec::new(),
            id_hash: RandomState::default(),
            names: Names::default(),
            nodes: Vec::new(),
            touching: Vec::new(),
            lists: Vec::new(),
            done: Vec::new(),
            pending: Vec::new(),
            new: Vec::new(),
            graph: GraphBuilder::new(),
            max_nodes: request.max_nodes.max(1),
            truncated: false,
        };
        let start = walk.intern(&request.start);
        walk.graph.add_node(start);
        walk
    }

    fn intern(&mut self, name: &str) -> Id {
        let id = self.names.intern(name);
        if self.nodes.len() < self.names.len() {
            self.nodes.push(NodeState::default());
        }
        id
    }

    fn start_visit(&mut self, mode: Mode, lo: i64, hi: i64) -> Visit {
        Visit {
            node: 0,
            mode,
            lo,
            hi,
        }
    }

    fn covered(&self, v: &Visit) -> bool {
        let mut entry = self.nodes[v.node as usize].done;
        while entry != NONE {
            let (m, a, b, previous) = self.done[entry as usize];
            if m == v.mode && a <= v.lo && v.hi <= b {
                return true;
            }
            entry = previous;
        }
        false
    }

    fn links(&self, i: u32) -> &[LinkId] {
        let e = &self.evs[i as usize];
        &self.links[e.start as usize..e.end as usize]
    }

    fn load<S: EventSource>(
        &mut self,
        source: &mut S,
        mut nodes: Vec<Id>,
    ) -> Result<(), TraceError<S::Error>> {
        nodes.retain(|&n| self.nodes[n as usize].loaded.is_none());
        // The source is asked in the order of the identifiers' text, as it always was.
        nodes.sort_unstable_by(|&a, &b| self.names.name(a).cmp(self.names.name(b)));
        nodes.dedup();
        if nodes.is_empty() {
            return Ok(());
        }
        let text: Vec<String> = nodes
            .iter()
            .map(|&n| self.names.name(n).to_owned())
            .collect();
        let records = source.events_touching(&text).map_err(TraceError::Source)?;
        for record in records {
            let i = self.events.len();
            let index = u32::try_from(i).unwrap_or(u32::MAX);
            if !self.first_time(&record.event_id, index) {
                continue;
            }
            let start = u32::try_from(self.links.len()).unwrap_or(u32::MAX);
            for link in &record.links {
                let node = self.intern(&link.node);
                self.links.push((link.role, node));
                let last = self.nodes[node as usize].touching;
                // An identifier named twice by one event is listed once.
                if last == NONE || self.touching[last as usize].0 != index {
                    self.nodes[node as usize].touching = self.len_u32(self.touching.len());
                    self.touching.push((index, last));
                }
            }
            self.evs.push(Ev {
                time_ms: record.time_ms,
                event_type: record.event_type,
                action: record.action,
                start,
                end: u32::try_from(self.links.len()).unwrap_or(u32::MAX),
            });
            self.events.push(record);
        }
        for node in nodes {
            let start = self.lists.len();
            let mut entry = self.nodes[node as usize].touching;
            while entry != NONE {
                let (i, previous) = self.touching[entry as usize];
                self.lists.push(i);
                entry = previous;
            }
            let evs = &self.evs;
            self.lists[start..].sort_unstable_by_key(|&i| (evs[i as usize].time_ms, i));
            let range = (self.len_u32(start), self.len_u32(self.lists.len()));
            self.nodes[node as usize].loaded = Some(range);
        }
        Ok(())
    }

    /// A position in one of the walk's lists (a trace is far below 4 billion entries).
    fn len_u32(&self, n: usize) -> u32 {
        u32::try_from(n).unwrap_or(NONE)
    }

    /// The events of a loaded identifier, in time order (empty when not loaded).
    fn loaded(&self, node: Id) -> std::ops::Range<usize> {
        self.nodes[node as usize]
            .loaded
            .map_or(0..0, |(a, b)| a as usize..b as usize)
    }

    /// Whether no event named `event_id` was given yet; if so, remembers it as event `index`.
    fn first_time(&mut self, event_id: &str, index: u32) -> bool {
        let same = |j: &u32| self.events[*j as usize].event_id == event_id;
        let hash = self.id_hash.hash_one(event_id);
        match self.by_id.get(&hash) {
            None => {
                self.by_id.insert(hash, index);
                true
            }
            Some(j) if same(j) => false,
            Some(_) if self.collided.iter().any(same) => false,
            Some(_) => {
                self.collided.push(index);
                true
            }
        }
    }

    /// Processes a visit; `false` when the containers it adds to `need` must be loaded
    /// first.
    fn process(&mut self, v: &Visit, need: &mut Vec<Id>) -> bool {
        if self.covered(v) {
            return true;
        }
        let list = self.loaded(v.node);
        let in_window = |i: u32| {
            let t = self.evs[i as usize].time_ms;
            v.lo <= t && t <= v.hi
        };
        let before = need.len();
        for &i in self.lists[list.clone()].iter().filter(|&&i| in_window(i)) {
            if let Some(p) = self.container_of(i, v.node) {
                if self.nodes[p as usize].loaded.is_none() {
                    need.push(p);
                }
            }
        }
        if need.len() > before {
            return false;
        }
        let previous = self.nodes[v.node as usize].done;
        self.nodes[v.node as usize].done = self.len_u32(self.done.len());
        self.done.push((v.mode, v.lo, v.hi, previous));
        self.graph.mark(v.node, v.mode.backward(), v.mode.carrier());
        for k in list {
            let i = self.lists[k];
            let t = self.evs[i as usize].time_ms;
            if v.lo <= t && t <= v.hi {
                self.graph.include(i as usize, v.node);
                self.follow(v, i);
            }
        }
        true
    }

    /// The parent of an aggregation or association in which `node` is a child.
    fn container_of(&self, i: u32, node: Id) -> Option<Id> {
        let e = &self.evs[i as usize];
        if !matches!(
            e.event_type,
            EventType::AggregationEvent | EventType::AssociationEvent
        ) {
            return None;
        }
        let links = self.links(i);
        links.iter().find(|&&l| l == (Role::Child, node))?;
        first(links, Role::Parent)
    }

    fn follow(&mut self, v: &Visit, i: u32) {
        let mut new = std::mem::take(&mut self.new);
        new.clear();
        let e = self.evs[i as usize];
        let t = e.time_ms;
        let links = self.links(i);
        let has = |role: Role| links.contains(&(role, v.node));
        match e.event_type {
            EventType::TransformationEvent => {
                if v.mode.backward() && (has(Role::Output) || has(Role::LotOf)) {
                    for input in with_role(links, Role::Input) {
                        new.push((
                            input,
                            v.node,
                            EdgeKind::Transformed,
                            visit(input, Mode::Back, v.lo, t),
                        ));
                    }
                }
                if !v.mode.backward() && has(Role::Input) {
                    for output in with_role(links, Role::Output) {
                        new.push((
                            v.node,
                            output,
                            EdgeKind::Transformed,
                            visit(output, Mode::Forward, t, v.hi),
                        ));
                    }
                }
            }
            EventType::AggregationEvent | EventType::AssociationEvent => {
                let kind = if e.event_type == EventType::AggregationEvent {
                    EdgeKind::Contains
                } else {
                    EdgeKind::Associated
                };
                let parent = first(links, Role::Parent);
                let adds = e.action != Some(Action::Delete);
                if let (Some(parent), true) = (parent, adds) {
                    if has(Role::Child) {
                        let end = self.containment_end(parent, v.node, i);
                        let (lo, hi) = (v.lo.max(t), v.hi.min(end));
                        if lo <= hi {
                            new.push((
                                parent,
                                v.node,
                                kind,
                                visit(parent, v.mode.carrier_of(), lo, hi),
                            ));
                        }
                    }
                    // Associated children are devices and assets: they travel with the
                    // parent, whatever reached it. Aggregated children are goods: only a
                    // parent traced for itself is opened.
                    let associated = kind == EdgeKind::Associated;
                    if v.node == parent && (associated || !v.mode.carrier()) {
                        for child in with_role(links, Role::Child) {
                            let end = self.containment_end(parent, child, i);
                            let w = if associated {
                                let (lo, hi) = (v.lo.max(t), v.hi.min(end));
                                if lo > hi {
                                    continue;
                                }
                                visit(child, v.mode.carrier_of(), lo, hi)
                            } else if v.mode.backward() {
                                visit(child, Mode::Back, v.lo, v.hi.min(end))
                            } else {
                                visit(child, Mode::Forward, t, v.hi)
                            };
                            new.push((parent, child, kind, w));
                        }
                    }
                }
            }
            EventType::ObjectEvent | EventType::TransactionEvent => {}
        }
        self.follow_lots(v, i, &mut new);
        for &(from, to, kind, next) in &new {
            let target = next.node;
            self.push(next);
            if self.graph.has_node(target) {
                self.graph.edge(from, to, kind, i as usize);
            }
        }
        self.new = new;
    }

    /// What identifier `id` names (remembered for the rest of the trace).
    fn class(&mut self, id: Id) -> &NodeRef {
        let name = self.names.name(id);
        self.nodes[id as usize]
            .class
            .get_or_insert_with(|| classify(name))
    }

    /// Item ⇄ lot: an item traced backward brings in its lot; a lot traced forward its items.
    fn follow_lots(&mut self, v: &Visit, i: u32, new: &mut Vec<(Id, Id, EdgeKind, Visit)>) {
        let e = self.evs[i as usize];
        let range = e.start as usize..e.end as usize;
        if !self.links[range.clone()]
            .iter()
            .any(|&(r, _)| r == Role::LotOf)
        {
            return;
        }
        let mut items = Vec::new();
        for k in range.clone() {
            let (role, node) = self.links[k];
            if matches!(role, Role::Epc | Role::Output) && self.class(node).kind == NodeKind::Item {
                items.push(node);
            }
        }
        for k in range {
            let (role, lot) = self.links[k];
            if role != Role::LotOf {
                continue;
            }
            self.class(lot);
            self.class(v.node);
            let gtin = |n: Id| self.nodes[n as usize].class.as_ref().map(|c| &c.gtin);
            let lot_gtin = gtin(lot);
            if v.mode.backward() && v.node != lot && gtin(v.node) == lot_gtin {
                if items.contains(&v.node) {
                    new.push((
                        lot,
                        v.node,
                        EdgeKind::LotItem,
                        visit(lot, Mode::Back, v.lo, v.hi),
                    ));
                }
            } else if !v.mode.backward() && !v.mode.carrier() && v.node == lot {
                for &item in items.iter().filter(|&&n| gtin(n) == lot_gtin) {
                    new.push((
                        lot,
                        item,
                        EdgeKind::LotItem,
                        visit(item, Mode::Forward, e.time_ms, v.hi),
                    ));
                }
            }
        }
    }

    /// When `child`, put into `parent` by event `from`, was taken out again: the first later
    /// `DELETE` of the same kind naming it or naming no children (all of them).
    fn containment_end(&self, parent: Id, child: Id, from: u32) -> i64 {
        let start = &self.evs[from as usize];
        self.lists[self.loaded(parent)]
            .iter()
            .map(|&j| (j, &self.evs[j as usize]))
            .filter(|(j, e)| {
                *j != from
                    && e.event_type == start.event_type
                    && e.action == Some(Action::Delete)
                    && e.time_ms >= start.time_ms
                    && with_role(self.links(*j), Role::Parent).any(|n| n == parent)
            })
            .find(|(j, _)| {
                let links = self.links(*j);
                let mut children = with_role(links, Role::Child).peekable();
                children.peek().is_none() || links.contains(&(Role::Child, child))
            })
            .map_or(i64::MAX, |(_, e)| e.time_ms)
    }

    fn push(&mut self, v: Visit) {
        if self.covered(&v) {
            return;
        }
        if !self.graph.has_node(v.node) && self.graph.node_count() >= self.max_nodes {
            self.truncated = true;
            return;
        }
        self.graph.add_node(v.node);
        self.pending.push(v);
    }
}

/// The identifiers of `links` with `role`.
fn with_role(links: &[LinkId], role: Role) -> impl Iterator<Item = Id> + '_ {
    links
        .iter()
        .filter(move |&&(r, _)| r == role)
        .map(|&(_, n)| n)
}

/// The first identifier of `links` with `role`.
fn first(links: &[LinkId], role: Role) -> Option<Id> {
    with_role(links, role).next()
}

fn visit(node: Id, mode: Mode, lo: i64, hi: i64) -> Visit {
    Visit { node, mode, lo, hi }
}
