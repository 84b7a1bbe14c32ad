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

use std::rc::Rc;
use std::sync::Arc;

// The walk hashes many short-lived identifier strings: a fast non-cryptographic hash (the
// keys come from the store, and a trace is bounded by max_nodes) instead of SipHash.
use rustc_hash::FxHashMap as HashMap;

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

#[derive(Debug, Clone)]
struct Visit {
    node: String,
    mode: Mode,
    lo: i64,
    hi: i64,
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
    while !queue.is_empty() {
        queue.retain(|v| !walk.covered(v));
        let missing: Vec<String> = queue.iter().map(|v| v.node.clone()).collect();
        walk.load(source, missing)?;
        let mut next = Vec::new();
        let mut need = Vec::new();
        for visit in queue {
            match walk.process(&visit) {
                Ok(()) => {}
                Err(parents) => {
                    need.extend(parents);
                    next.push(visit);
                }
            }
        }
        walk.load(source, need)?;
        next.append(&mut walk.pending);
        queue = next;
    }
    let classes = walk
        .classes
        .into_iter()
        .map(|(id, c)| (id, Rc::unwrap_or_clone(c)))
        .collect();
    Ok(walk
        .graph
        .finish(request, walk.events, classes, walk.truncated))
}

struct Walk {
    events: Vec<Arc<EventRecord>>,
    by_id: HashMap<String, usize>,
    /// Events touching each identifier, among the events known so far.
    by_key: HashMap<String, Vec<usize>>,
    /// Events touching each loaded identifier, in time order (shared: a visit reads the
    /// list while it adds to the walk).
    loaded: HashMap<String, Rc<[usize]>>,
    /// The windows each identifier was already traced over, per mode.
    done: HashMap<String, Vec<(Mode, i64, i64)>>,
    /// What each identifier names, read once per trace (parsing a Digital Link is costly).
    classes: HashMap<String, Rc<NodeRef>>,
    pending: Vec<Visit>,
    graph: GraphBuilder,
    max_nodes: usize,
    truncated: bool,
}

impl Walk {
    fn new(request: &TraceRequest) -> Walk {
        Walk {
            events: Vec::new(),
            by_id: HashMap::default(),
            by_key: HashMap::default(),
            loaded: HashMap::default(),
            done: HashMap::default(),
            classes: HashMap::default(),
            pending: Vec::new(),
            graph: GraphBuilder::new(&request.start),
            max_nodes: request.max_nodes.max(1),
            truncated: false,
        }
    }

    fn start_visit(&mut self, mode: Mode, lo: i64, hi: i64) -> Visit {
        Visit {
            node: self.graph.start().to_owned(),
            mode,
            lo,
            hi,
        }
    }

    fn covered(&self, v: &Visit) -> bool {
        self.done.get(&v.node).is_some_and(|ws| {
            ws.iter()
                .any(|&(m, a, b)| m == v.mode && a <= v.lo && v.hi <= b)
        })
    }

    fn load<S: EventSource>(
        &mut self,
        source: &mut S,
        mut nodes: Vec<String>,
    ) -> Result<(), TraceError<S::Error>> {
        nodes.retain(|n| !self.loaded.contains_key(n));
        nodes.sort_unstable();
        nodes.dedup();
        if nodes.is_empty() {
            return Ok(());
        }
        let records = source.events_touching(&nodes).map_err(TraceError::Source)?;
        for record in records {
            if self.by_id.contains_key(&record.event_id) {
                continue;
            }
            let i = self.events.len();
            self.by_id.insert(record.event_id.clone(), i);
            for link in &record.links {
                match self.by_key.get_mut(&link.node) {
                    // An identifier named twice by one event is listed once.
                    Some(list) if list.last() == Some(&i) => {}
                    Some(list) => list.push(i),
                    None => {
                        self.by_key.insert(link.node.clone(), vec![i]);
                    }
                }
            }
            self.events.push(record);
        }
        for node in nodes {
            let mut list = self.by_key.get(&node).cloned().unwrap_or_default();
            list.sort_by_key(|&i| (self.events[i].time_ms, i));
            self.loaded.insert(node, list.into());
        }
        Ok(())
    }

    /// Processes a visit; `Err` lists the containers whose events must be loaded first.
    fn process(&mut self, v: &Visit) -> Result<(), Vec<String>> {
        if self.covered(v) {
            return Ok(());
        }
        let list = self
            .loaded
            .get(&v.node)
            .cloned()
            .unwrap_or_else(|| Rc::from([]));
        let in_window = |i: &usize| {
            let t = self.events[*i].time_ms;
            v.lo <= t && t <= v.hi
        };
        let missing: Vec<String> = list
            .iter()
            .filter(|i| in_window(i))
            .filter_map(|&i| self.container_of(i, &v.node))
            .filter(|p| !self.loaded.contains_key(p))
            .collect();
        if !missing.is_empty() {
            return Err(missing);
        }
        match self.done.get_mut(&v.node) {
            Some(windows) => windows.push((v.mode, v.lo, v.hi)),
            None => {
                self.done.insert(v.node.clone(), vec![(v.mode, v.lo, v.hi)]);
            }
        }
        self.graph
            .mark(&v.node, v.mode.backward(), v.mode.carrier());
        let inside: Vec<usize> = list.iter().copied().filter(|i| in_window(i)).collect();
        for i in inside {
            self.graph.include(i, &v.node);
            self.follow(v, i);
        }
        Ok(())
    }

    /// The parent of an aggregation or association in which `node` is a child.
    fn container_of(&self, i: usize, node: &str) -> Option<String> {
        let e = &self.events[i];
        if !matches!(
            e.event_type,
            EventType::AggregationEvent | EventType::AssociationEvent
        ) {
            return None;
        }
        e.with_role(Role::Child).find(|l| l.node == node)?;
        e.with_role(Role::Parent).next().map(|l| l.node.clone())
    }

    fn follow(&mut self, v: &Visit, i: usize) {
        let e = &self.events[i];
        let t = e.time_ms;
        let has = |role: Role| e.links.iter().any(|l| l.role == role && l.node == v.node);
        let mut new: Vec<(String, String, EdgeKind, Visit)> = Vec::new();
        match e.event_type {
            EventType::TransformationEvent => {
                if v.mode.backward() && (has(Role::Output) || has(Role::LotOf)) {
                    for input in e.with_role(Role::Input) {
                        new.push((
                            input.node.clone(),
                            v.node.clone(),
                            EdgeKind::Transformed,
                            visit(&input.node, Mode::Back, v.lo, t),
                        ));
                    }
                }
                if !v.mode.backward() && has(Role::Input) {
                    for output in e.with_role(Role::Output) {
                        new.push((
                            v.node.clone(),
                            output.node.clone(),
                            EdgeKind::Transformed,
                            visit(&output.node, Mode::Forward, t, v.hi),
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
                let parent = e.with_role(Role::Parent).next().map(|l| l.node.clone());
                let adds = e.action != Some(Action::Delete);
                if let (Some(parent), true) = (parent, adds) {
                    if has(Role::Child) {
                        let end = self.containment_end(&parent, &v.node, i);
                        let (lo, hi) = (v.lo.max(t), v.hi.min(end));
                        if lo <= hi {
                            new.push((
                                parent.clone(),
                                v.node.clone(),
                                kind,
                                visit(&parent, v.mode.carrier_of(), lo, hi),
                            ));
                        }
                    }
                    // Associated children are devices and assets: they travel with the
                    // parent, whatever reached it. Aggregated children are goods: only a
                    // parent traced for itself is opened.
                    let associated = kind == EdgeKind::Associated;
                    if v.node == parent && (associated || !v.mode.carrier()) {
                        for child in e.with_role(Role::Child) {
                            let end = self.containment_end(&parent, &child.node, i);
                            let w = if associated {
                                let (lo, hi) = (v.lo.max(t), v.hi.min(end));
                                if lo > hi {
                                    continue;
                                }
                                visit(&child.node, v.mode.carrier_of(), lo, hi)
                            } else if v.mode.backward() {
                                visit(&child.node, Mode::Back, v.lo, v.hi.min(end))
                            } else {
                                visit(&child.node, Mode::Forward, t, v.hi)
                            };
                            new.push((parent.clone(), child.node.clone(), kind, w));
                        }
                    }
                }
            }
            EventType::ObjectEvent | EventType::TransactionEvent => {}
        }
        self.follow_lots(v, i, &mut new);
        for (from, to, kind, next) in new {
            let target = next.node.clone();
            self.push(next);
            if self.graph.has_node(&target) {
                self.graph.edge(&from, &to, kind, i);
            }
        }
    }

    /// What `id` names (remembered for the rest of the trace).
    fn class(&mut self, id: &str) -> Rc<NodeRef> {
        if let Some(c) = self.classes.get(id) {
            return Rc::clone(c);
        }
        let c = Rc::new(classify(id));
        self.classes.insert(id.to_owned(), Rc::clone(&c));
        c
    }

    /// Item ⇄ lot: an item traced backward brings in its lot; a lot traced forward its items.
    fn follow_lots(
        &mut self,
        v: &Visit,
        i: usize,
        new: &mut Vec<(String, String, EdgeKind, Visit)>,
    ) {
        let e = Arc::clone(&self.events[i]);
        let mut lots = e.with_role(Role::LotOf).peekable();
        if lots.peek().is_none() {
            return;
        }
        let mut items = Vec::new();
        for l in e
            .links
            .iter()
            .filter(|l| matches!(l.role, Role::Epc | Role::Output))
        {
            let c = self.class(&l.node);
            if c.kind == NodeKind::Item {
                items.push((l, c));
            }
        }
        for lot in lots {
            let lot_class = self.class(&lot.node);
            let lot_gtin = &lot_class.gtin;
            if v.mode.backward() && v.node != lot.node && self.class(&v.node).gtin == *lot_gtin {
                if items.iter().any(|(l, _)| l.node == v.node) {
                    new.push((
                        lot.node.clone(),
                        v.node.clone(),
                        EdgeKind::LotItem,
                        visit(&lot.node, Mode::Back, v.lo, v.hi),
                    ));
                }
            } else if !v.mode.backward() && !v.mode.carrier() && v.node == lot.node {
                for (item, _) in items.iter().filter(|(_, c)| c.gtin == *lot_gtin) {
                    new.push((
                        lot.node.clone(),
                        item.node.clone(),
                        EdgeKind::LotItem,
                        visit(&item.node, Mode::Forward, e.time_ms, v.hi),
                    ));
                }
            }
        }
    }

    /// When `child`, put into `parent` by event `from`, was taken out again: the first later
    /// `DELETE` of the same kind naming it or naming no children (all of them).
    fn containment_end(&self, parent: &str, child: &str, from: usize) -> i64 {
        let start = &self.events[from];
        let Some(list) = self.loaded.get(parent) else {
            return i64::MAX;
        };
        list.iter()
            .map(|&j| (j, &self.events[j]))
            .filter(|(j, e)| {
                *j != from
                    && e.event_type == start.event_type
                    && e.action == Some(Action::Delete)
                    && e.time_ms >= start.time_ms
                    && e.with_role(Role::Parent).any(|l| l.node == parent)
            })
            .find(|(_, e)| {
                let mut children = e.with_role(Role::Child).peekable();
                children.peek().is_none() || e.with_role(Role::Child).any(|l| l.node == child)
            })
            .map_or(i64::MAX, |(_, e)| e.time_ms)
    }

    fn push(&mut self, v: Visit) {
        if self.covered(&v) {
            return;
        }
        if !self.graph.has_node(&v.node) && self.graph.node_count() >= self.max_nodes {
            self.truncated = true;
            return;
        }
        self.graph.add_node(&v.node);
        self.pending.push(v);
    }
}

fn visit(node: &str, mode: Mode, lo: i64, hi: i64) -> Visit {
    Visit {
        node: node.to_owned(),
        mode,
        lo,
        hi,
    }
}
