//! How enums are stored: small integers, stable across versions (they are on disk).

use crate::{AppendMode, AppendOutcome, JobStatus, RejectReason, StoreError};
use epcis::EventType;

/// Job status codes.
pub(crate) const STATUS_PENDING: i64 = 0;
/// Running.
pub(crate) const STATUS_RUNNING: i64 = 1;
/// Finished.
pub(crate) const STATUS_FINISHED: i64 = 2;

/// The stored code of an event type.
pub(crate) fn event_type_code(t: EventType) -> i64 {
    match t {
        EventType::ObjectEvent => 1,
        EventType::AggregationEvent => 2,
        EventType::TransactionEvent => 3,
        EventType::TransformationEvent => 4,
        EventType::AssociationEvent => 5,
    }
}

/// The event type of a stored code.
pub(crate) fn event_type_from_code(code: i64) -> Option<EventType> {
    EventType::ALL
        .into_iter()
        .find(|t| event_type_code(*t) == code)
}

/// The stored code of an append mode.
pub(crate) fn mode_code(mode: AppendMode) -> i64 {
    match mode {
        AppendMode::AllOrNothing => 0,
        AppendMode::SkipFailures => 1,
    }
}

/// The append mode of a stored code.
pub(crate) fn mode_from_code(code: i64) -> Option<AppendMode> {
    match code {
        0 => Some(AppendMode::AllOrNothing),
        1 => Some(AppendMode::SkipFailures),
        _ => None,
    }
}

/// The job status of a stored code.
pub(crate) fn status_from_code(code: i64) -> Option<JobStatus> {
    match code {
        STATUS_PENDING => Some(JobStatus::Pending),
        STATUS_RUNNING => Some(JobStatus::Running),
        STATUS_FINISHED => Some(JobStatus::Finished),
        _ => None,
    }
}

/// An append's outcome as recorded on its capture job (so that a job resumed after a crash
/// answers with what its first attempt stored instead of reporting its own events as
/// duplicates): a JSON array, one entry per event, the sequence number of an acceptable
/// event (0 when acceptable but not stored) or `{"duplicate": eventID}`.
pub(crate) fn outcome_text(outcome: &AppendOutcome) -> String {
    let entries: Vec<serde_json::Value> = outcome
        .results
        .iter()
        .map(|r| match r {
            Ok(seq) => serde_json::Value::from(*seq),
            Err(RejectReason::Duplicate { event_id }) => {
                serde_json::json!({ "duplicate": event_id })
            }
        })
        .collect();
    serde_json::Value::Array(entries).to_string()
}

/// The outcome recorded by [`outcome_text`].
pub(crate) fn outcome_from_text(text: &str) -> Result<AppendOutcome, StoreError> {
    let bad = || StoreError::Database(format!("unreadable recorded append outcome: {text:.80}"));
    let entries: Vec<serde_json::Value> = serde_json::from_str(text).map_err(|_| bad())?;
    let results = entries
        .into_iter()
        .map(|e| match e {
            serde_json::Value::Number(n) => n.as_i64().map(Ok).ok_or_else(bad),
            serde_json::Value::Object(o) => match o.get("duplicate") {
                Some(serde_json::Value::String(id)) => Ok(Err(RejectReason::Duplicate {
                    event_id: id.clone(),
                })),
                _ => Err(bad()),
            },
            _ => Err(bad()),
        })
        .collect::<Result<_, _>>()?;
    Ok(AppendOutcome { results })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_outcomes_read_back_unchanged() {
        let outcome = AppendOutcome {
            results: vec![
                Ok(41),
                Err(RejectReason::Duplicate {
                    event_id: "ni:///sha-256;ab\"c?ver=CBV2.0".into(),
                }),
                Ok(0),
            ],
        };
        let text = outcome_text(&outcome);
        assert_eq!(outcome_from_text(&text).unwrap(), outcome);
        assert!(outcome_from_text("[1, \"x\"]").is_err());
        assert!(outcome_from_text("{").is_err());
    }
}
