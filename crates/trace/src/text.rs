//! The trace as readable text: where the start came from (a tree going upstream), where
//! it went (a tree going downstream), each identifier with its events, then the parties
//! and places involved.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use crate::graph::{TraceEvent, TraceGraph};

/// The trace as an indented tree, for a terminal.
pub fn tree(graph: &TraceGraph) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Trace of {}: {} identifiers, {} events, {} parties, {} locations{}",
        graph.start,
        graph.nodes.len(),
        graph.events.len(),
        graph.parties.len(),
        graph.locations.len(),
        if graph.truncated {
            " (truncated at the identifier limit)"
        } else {
            ""
        }
    );
    let flows = graph.flows();
    let mut up: HashMap<&str, Vec<&str>> = HashMap::new();
    let mut down: HashMap<&str, Vec<&str>> = HashMap::new();
    for (a, b) in &flows {
        up.entry(b).or_default().push(a);
        down.entry(a).or_default().push(b);
    }
    for list in up.values_mut().chain(down.values_mut()) {
        list.sort_unstable();
        list.dedup();
    }
    let any_up = up.contains_key(graph.start.as_str());
    let any_down = down.contains_key(graph.start.as_str());
    if any_up || !any_down {
        out.push_str("\nUpstream (where it came from):\n");
        walk(
            graph,
            &up,
            &graph.start,
            "",
            true,
            &mut HashSet::new(),
            &mut out,
            true,
        );
    }
    if any_down {
        out.push_str("\nDownstream (where it went):\n");
        // The start's own events were listed upstream already.
        let mut seen = HashSet::new();
        if any_up || !any_down {
            seen.insert(graph.start.as_str());
        }
        walk(
            graph,
            &down,
            &graph.start,
            "",
            true,
            &mut seen,
            &mut out,
            true,
        );
    }
    if !graph.parties.is_empty() {
        out.push_str("\nParties:\n");
        for p in &graph.parties {
            let _ = writeln!(
                out,
                "  {}  ({}; {} events)",
                p.id,
                p.roles.join(", "),
                p.events
            );
        }
    }
    if !graph.locations.is_empty() {
        out.push_str("\nLocations:\n");
        for l in &graph.locations {
            let _ = writeln!(out, "  {}  ({} events)", l.id, l.events);
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn walk<'g>(
    graph: &'g TraceGraph,
    next: &HashMap<&'g str, Vec<&'g str>>,
    id: &'g str,
    indent: &str,
    last: bool,
    seen: &mut HashSet<&'g str>,
    out: &mut String,
    root: bool,
) {
    let Some(node) = graph.node(id) else {
        return;
    };
    let (l1, l2) = node.label();
    let (branch, child_indent) = if root {
        (String::new(), String::from("  "))
    } else if last {
        (format!("{indent}└─ "), format!("{indent}   "))
    } else {
        (format!("{indent}├─ "), format!("{indent}│  "))
    };
    let first_time = seen.insert(id);
    let again = if first_time || root {
        ""
    } else {
        " (see above)"
    };
    let _ = writeln!(out, "  {branch}{l1} ({l2}){again}");
    if !first_time && !root {
        return;
    }
    let children = next.get(id).cloned().unwrap_or_default();
    let bar = if children.is_empty() { "   " } else { "│  " };
    if first_time {
        for e in node.events.iter().map(|&i| &graph.events[i]) {
            let _ = writeln!(out, "  {child_indent}{bar}· {}", event_line(e));
        }
    }
    for (k, child) in children.iter().enumerate() {
        walk(
            graph,
            next,
            child,
            &child_indent,
            k + 1 == children.len(),
            seen,
            out,
            false,
        );
    }
}

/// One event in a line: time, step, place, hand-over and quantities.
pub fn event_line(e: &TraceEvent) -> String {
    let r = &e.record;
    let step = r.biz_step.as_deref().unwrap_or(r.event_type.as_str());
    let mut line = format!("{} {step}", e.local_time());
    if let Some(place) = e.place() {
        let _ = write!(line, " at {place}");
    }
    let from = r.source("location").or(r.source("owning_party"));
    let to = r.destination("location").or(r.destination("owning_party"));
    if let (Some(f), Some(t)) = (from, to) {
        let _ = write!(line, " ({f} → {t})");
    }
    line
}
