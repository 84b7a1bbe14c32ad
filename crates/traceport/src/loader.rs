//! Documents straight into the store, with the same rules as `POST /capture`:
//! parse and validate, then append under rollback (all or nothing) or proceed.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use epcis::{parse_any_document, Limits};
use registry::ownership::{located_owner, PrefixIndex};
use server::access::{Capturer, OwnershipRule};
use store::{AppendMode, Backend, Location, NewEvent};

use crate::error::CliError;

/// Limits for files read from disk: larger than the HTTP defaults because the operator chose the file.
pub fn file_limits() -> Limits {
    Limits {
        max_bytes: 512 * 1024 * 1024,
        max_events: 2_000_000,
        ..Limits::default()
    }
}

/// Opens (creating and migrating if needed) the store at `location`.
pub fn open_location(location: &Location) -> Result<Arc<dyn Backend>, CliError> {
    location.open().map_err(|source| CliError::OpenStore {
        location: location.to_string(),
        source,
    })
}

/// Opens (creating the directory and database if needed) a SQLite store in `data_dir`.
pub fn open_store(data_dir: &std::path::Path) -> Result<Arc<dyn Backend>, CliError> {
    open_location(&Location::Sqlite(
        data_dir.join(crate::config::DATABASE_FILE),
    ))
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// One problem with one event of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventProblem {
    /// JSON pointer (or event position) of the problem.
    pub pointer: String,
    /// What is wrong.
    pub message: String,
    /// True when the event was valid but already stored (by eventID or hash).
    pub duplicate: bool,
}

/// What happened to one document.
#[derive(Debug, Clone, Default)]
pub struct DocumentOutcome {
    /// Events in the document.
    pub events: usize,
    /// Events stored.
    pub stored: usize,
    /// Invalid or refused events.
    pub problems: Vec<EventProblem>,
}

/// Parses a document and turns every valid event into a [`NewEvent`]; invalid events become problems.
/// A document that cannot be read at all is an `Err` with the parser's message.
pub fn prepare(
    bytes: &[u8],
    limits: &Limits,
    record_time_ms: i64,
) -> Result<(Vec<NewEvent>, Vec<EventProblem>), String> {
    let document = parse_any_document(bytes, limits).map_err(|e| e.to_string())?;
    let mut events = Vec::with_capacity(document.events.len());
    let mut problems = Vec::new();
    for parsed in document.events {
        match parsed {
            Ok(event) => events.push(NewEvent::from_event(event, record_time_ms)),
            Err(errors) => problems.extend(errors.into_iter().map(|e| EventProblem {
                pointer: e.pointer,
                message: e.message,
                duplicate: false,
            })),
        }
    }
    Ok((events, problems))
}

/// Who owns the events loaded from files: one organisation given by the operator, or for
/// each event the organisation where it happened (see `registry::ownership::located_owner`).
/// Events are marked exactly as at HTTP capture (`server::access::Capturer`).
pub struct Owners {
    fixed: Option<String>,
    rule: OwnershipRule,
    index: PrefixIndex,
    capturers: HashMap<String, Capturer>,
    partners: HashMap<String, HashSet<String>>,
}

impl Owners {
    /// Owners for a load: all events to `fixed` when given (which must be registered).
    pub fn load(
        store: &dyn Backend,
        fixed: Option<&str>,
        rule: OwnershipRule,
    ) -> Result<Owners, CliError> {
        if let Some(org) = fixed {
            if store.organisation(org)?.is_none() {
                return Err(CliError::Usage(format!("no registered organisation {org}")));
            }
        }
        Ok(Owners {
            fixed: fixed.map(str::to_owned),
            rule,
            index: PrefixIndex::new(store.company_prefixes()?),
            capturers: HashMap::new(),
            partners: HashMap::new(),
        })
    }

    /// Marks one event with its owner; the message when the ownership rule refuses it.
    /// Events no registered organisation can be found for stay unmarked.
    fn mark(
        &mut self,
        store: &dyn Backend,
        event: &mut NewEvent,
    ) -> Result<Option<String>, CliError> {
        let owner = match &self.fixed {
            Some(o) => o.clone(),
            None => match located_owner(&event.facets, &self.index) {
                Some(o) => o.to_owned(),
                None => return Ok(None),
            },
        };
        if !self.capturers.contains_key(&owner) {
            let capturer = Capturer::load(store, &owner, self.rule)?;
            self.capturers.insert(owner.clone(), capturer);
        }
        let Some(capturer) = self.capturers.get(&owner) else {
            return Ok(None);
        };
        let partners = self.partners.entry(owner).or_default();
        Ok(capturer.mark(event, partners))
    }

    /// Records the trading partners the marked events named.
    pub fn save_partners(&self, store: &dyn Backend) -> Result<(), CliError> {
        for (org, partners) in &self.partners {
            store.add_partners(org, &partners.iter().cloned().collect::<Vec<_>>())?;
        }
        Ok(())
    }
}

/// Loads one document into the store. Under rollback nothing is stored when any event is
/// invalid or refused; under proceed the valid, new events are stored. With `owners`, each
/// event is marked with its owning organisation first.
pub fn load_document(
    store: &dyn Backend,
    bytes: &[u8],
    limits: &Limits,
    mode: AppendMode,
    owners: Option<&mut Owners>,
) -> Result<Result<DocumentOutcome, String>, CliError> {
    let (mut events, mut problems) = match prepare(bytes, limits, now_ms()) {
        Ok(prepared) => prepared,
        Err(message) => return Ok(Err(message)),
    };
    if let Some(owners) = owners {
        let mut kept = Vec::with_capacity(events.len());
        for mut event in events {
            match owners.mark(store, &mut event)? {
                None => kept.push(event),
                Some(message) => problems.push(EventProblem {
                    pointer: format!("eventID {}", event.event_id),
                    message,
                    duplicate: false,
                }),
            }
        }
        events = kept;
    }
    let total = events.len() + count_invalid_events(&problems);
    if mode == AppendMode::AllOrNothing && !problems.is_empty() {
        return Ok(Ok(DocumentOutcome {
            events: total,
            stored: 0,
            problems,
        }));
    }
    let ids: Vec<String> = events.iter().map(|e| e.event_id.clone()).collect();
    let outcome = if events.is_empty() {
        None
    } else {
        Some(store.append(events, mode)?)
    };
    let mut stored = 0;
    if let Some(outcome) = outcome {
        let all = outcome.all_stored();
        for (id, result) in ids.iter().zip(outcome.results) {
            match result {
                Ok(_) => stored += 1,
                Err(reason) => problems.push(EventProblem {
                    pointer: format!("eventID {id}"),
                    message: reason.to_string(),
                    duplicate: true,
                }),
            }
        }
        if mode == AppendMode::AllOrNothing && !all {
            stored = 0;
        }
    }
    Ok(Ok(DocumentOutcome {
        events: total,
        stored,
        problems,
    }))
}

/// Number of distinct events among the problems (an event can have several field errors).
fn count_invalid_events(problems: &[EventProblem]) -> usize {
    let mut events: Vec<&str> = problems
        .iter()
        .filter(|p| !p.duplicate)
        .map(|p| event_prefix(&p.pointer))
        .collect();
    events.sort_unstable();
    events.dedup();
    events.len()
}

/// `/epcisBody/eventList/3/eventTime` → `/epcisBody/eventList/3`: the event a pointer belongs to.
fn event_prefix(pointer: &str) -> &str {
    let Some(pos) = pointer.find("/eventList/") else {
        return pointer;
    };
    let start = pos + "/eventList/".len();
    let end = pointer[start..]
        .find('/')
        .map_or(pointer.len(), |i| start + i);
    &pointer[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_are_grouped_by_event() {
        assert_eq!(
            event_prefix("/epcisBody/eventList/3/eventTime"),
            "/epcisBody/eventList/3"
        );
        assert_eq!(
            event_prefix("/epcisBody/eventList/12"),
            "/epcisBody/eventList/12"
        );
        assert_eq!(event_prefix("/epcisBody"), "/epcisBody");
        let p = |s: &str| EventProblem {
            pointer: s.into(),
            message: String::new(),
            duplicate: false,
        };
        let problems = [
            p("/epcisBody/eventList/0/action"),
            p("/epcisBody/eventList/0/eventTime"),
            p("/epcisBody/eventList/2"),
        ];
        assert_eq!(count_invalid_events(&problems), 2);
    }
}
