//! Query schedules of scheduled subscriptions (EPCIS `QuerySchedule`): six optional fields
//! (`second`, `minute`, `hour`, `dayOfMonth`, `month`, `dayOfWeek`), each a comma-separated
//! list of numbers and `[lo-hi]` ranges. A time matches when every given field matches it;
//! an omitted field matches any value. Times are evaluated in UTC (the standard lets the
//! service choose the time zone).
//!
//! Beyond the standard grammar, `start/step` (cron-like steps) is accepted because the
//! EPCIS 2.0 OpenAPI uses it in an example (`"second": "0/30"`).

use chrono::{DateTime, Datelike, Duration, TimeZone, Timelike, Utc};
use serde_json::{Map, Value};

/// The schedule fields, in the order the standard lists them, with their legal ranges.
const FIELDS: [(&str, u32, u32); 6] = [
    ("second", 0, 59),
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("dayOfMonth", 1, 31),
    ("month", 1, 12),
    ("dayOfWeek", 1, 7),
];

/// How far ahead [`Schedule::next_after`] looks; a schedule with no time in this window
/// (e.g. 30 February) never fires. 28 years covers every weekday/date combination.
const HORIZON_YEARS: i32 = 29;

/// A field value that breaks the grammar or the field's range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("schedule field {field}: {message}")]
pub struct ScheduleError {
    /// The field name (`second`, …), or `schedule` for the object itself.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

fn error(field: &str, message: impl Into<String>) -> ScheduleError {
    ScheduleError {
        field: field.to_owned(),
        message: message.into(),
    }
}

/// A parsed query schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// Per field (in [`FIELDS`] order): the accepted values as a bit set, `None` when omitted.
    sets: [Option<u64>; 6],
    /// The fields as given, to show the schedule back to the client.
    text: [Option<String>; 6],
}

impl Schedule {
    /// Parses `(name, value)` pairs; unknown names are refused, as are repeated ones.
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Schedule, ScheduleError> {
        let mut schedule = Schedule {
            sets: [None; 6],
            text: Default::default(),
        };
        for (name, value) in pairs {
            let Some(i) = FIELDS.iter().position(|(n, _, _)| *n == name) else {
                return Err(error(
                    name,
                    "unknown field (expected second, minute, hour, dayOfMonth, month or dayOfWeek)",
                ));
            };
            if schedule.sets[i].is_some() {
                return Err(error(name, "given twice"));
            }
            let (_, lo, hi) = FIELDS[i];
            schedule.sets[i] = Some(parse_field(name, value, lo, hi)?);
            schedule.text[i] = Some(value.to_owned());
        }
        Ok(schedule)
    }

    /// Parses the `schedule` object of a subscription request: field name → string (a
    /// number is accepted too, as clients often send `"hour": 1`).
    pub fn from_json(value: &Value) -> Result<Schedule, ScheduleError> {
        let Some(obj) = value.as_object() else {
            return Err(error("schedule", "expected an object"));
        };
        let mut pairs = Vec::with_capacity(obj.len());
        for (name, v) in obj {
            let text = match v {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                _ => {
                    return Err(error(
                        name,
                        "expected a string such as \"0,30\" or \"[1-5]\"",
                    ))
                }
            };
            pairs.push((name.as_str(), text));
        }
        Schedule::from_pairs(pairs.iter().map(|(n, t)| (*n, t.as_str())))
    }

    /// The schedule as the client gave it (for responses).
    pub fn to_json(&self) -> Value {
        let mut obj = Map::new();
        for (i, text) in self.text.iter().enumerate() {
            if let Some(t) = text {
                obj.insert(FIELDS[i].0.to_owned(), Value::String(t.clone()));
            }
        }
        Value::Object(obj)
    }

    /// True when the (whole-second) time `t` is a query time.
    pub fn matches(&self, t: DateTime<Utc>) -> bool {
        self.month_ok(t)
            && self.day_ok(t)
            && self.hour_ok(t)
            && self.minute_ok(t)
            && self.second_ok(t)
    }

    /// The first query time strictly after `t` (whole seconds), or `None` when the schedule
    /// has no query time in the next 29 years (it names a date that does not exist).
    pub fn next_after(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let start = t.with_nanosecond(0)? + Duration::seconds(1);
        let end = start
            .with_year(start.year() + HORIZON_YEARS)
            .unwrap_or(start + Duration::days(365 * HORIZON_YEARS as i64));
        let mut c = start;
        // Each step moves to the start of the next unit that could match, so the loop is
        // bounded by months + days + hours + minutes + seconds of matching units.
        while c < end {
            if !self.month_ok(c) {
                let (y, m) = if c.month() == 12 {
                    (c.year() + 1, 1)
                } else {
                    (c.year(), c.month() + 1)
                };
                c = Utc.with_ymd_and_hms(y, m, 1, 0, 0, 0).single()?;
            } else if !self.day_ok(c) {
                c = c.date_naive().succ_opt()?.and_hms_opt(0, 0, 0)?.and_utc();
            } else if !self.hour_ok(c) {
                c = c.with_minute(0)?.with_second(0)? + Duration::hours(1);
            } else if !self.minute_ok(c) {
                c = c.with_second(0)? + Duration::minutes(1);
            } else if !self.second_ok(c) {
                c += Duration::seconds(1);
            } else {
                return Some(c);
            }
        }
        None
    }

    fn has(&self, i: usize, value: u32) -> bool {
        self.sets[i].is_none_or(|set| set & (1u64 << value) != 0)
    }
    fn second_ok(&self, t: DateTime<Utc>) -> bool {
        self.has(0, t.second())
    }
    fn minute_ok(&self, t: DateTime<Utc>) -> bool {
        self.has(1, t.minute())
    }
    fn hour_ok(&self, t: DateTime<Utc>) -> bool {
        self.has(2, t.hour())
    }
    fn day_ok(&self, t: DateTime<Utc>) -> bool {
        self.has(3, t.day()) && self.has(5, t.weekday().number_from_monday())
    }
    fn month_ok(&self, t: DateTime<Utc>) -> bool {
        self.has(4, t.month())
    }
}

/// Parses one field: `Element ("," Element)*`, `Element ::= Number | "[" Number "-" Number "]"`
/// (plus `Number "/" Number`), every number within `lo..=hi`.
fn parse_field(name: &str, text: &str, lo: u32, hi: u32) -> Result<u64, ScheduleError> {
    let number = |s: &str| -> Result<u32, ScheduleError> {
        if s.is_empty() || s.len() > 4 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(error(name, format!("{s:?} is not a number")));
        }
        let n: u32 = s
            .parse()
            .map_err(|_| error(name, format!("{s:?} is not a number")))?;
        if n < lo || n > hi {
            return Err(error(name, format!("{n} is outside {lo} to {hi}")));
        }
        Ok(n)
    };
    let mut set = 0u64;
    for element in text.split(',') {
        let element = element.trim();
        if let Some(inner) = element.strip_prefix('[').and_then(|e| e.strip_suffix(']')) {
            let (a, b) = inner
                .split_once('-')
                .ok_or_else(|| error(name, format!("range {element:?} must be [low-high]")))?;
            let (a, b) = (number(a.trim())?, number(b.trim())?);
            if a > b {
                return Err(error(
                    name,
                    format!("range {element:?} starts after it ends"),
                ));
            }
            for v in a..=b {
                set |= 1 << v;
            }
        } else if let Some((start, step)) = element.split_once('/') {
            let start = number(start.trim())?;
            let step: u32 = step
                .trim()
                .parse()
                .ok()
                .filter(|s| (1..=hi).contains(s))
                .ok_or_else(|| error(name, format!("step in {element:?} must be 1 to {hi}")))?;
            for v in (start..=hi).step_by(step as usize) {
                set |= 1 << v;
            }
        } else {
            set |= 1 << number(element)?;
        }
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn sched(v: Value) -> Schedule {
        Schedule::from_json(&v).unwrap()
    }

    #[test]
    fn daily_at_five_past_one() {
        // The OpenAPI example (hour 1, minute 5) with second 0: once a day.
        let s = sched(json!({"hour": "1", "minute": "5", "second": "0"}));
        assert_eq!(
            s.next_after(at("2026-03-10T00:00:00Z")),
            Some(at("2026-03-10T01:05:00Z"))
        );
        assert_eq!(
            s.next_after(at("2026-03-10T01:05:00Z")),
            Some(at("2026-03-11T01:05:00Z"))
        );
        assert!(s.matches(at("2026-03-10T01:05:00Z")));
        assert!(!s.matches(at("2026-03-10T01:05:01Z")));
    }

    #[test]
    fn omitted_finer_fields_match_every_value() {
        let s = sched(json!({"hour": "2"}));
        assert_eq!(
            s.next_after(at("2026-03-10T02:10:10Z")),
            Some(at("2026-03-10T02:10:11Z"))
        );
        assert_eq!(
            s.next_after(at("2026-03-10T02:59:59Z")),
            Some(at("2026-03-11T02:00:00Z"))
        );
    }

    #[test]
    fn lists_ranges_and_steps() {
        let s = sched(json!({"second": "0/30", "minute": "[10-12],40"}));
        assert_eq!(
            s.next_after(at("2026-01-01T00:00:00Z")),
            Some(at("2026-01-01T00:10:00Z"))
        );
        assert_eq!(
            s.next_after(at("2026-01-01T00:10:00Z")),
            Some(at("2026-01-01T00:10:30Z"))
        );
        assert_eq!(
            s.next_after(at("2026-01-01T00:12:30Z")),
            Some(at("2026-01-01T00:40:00Z"))
        );
        assert_eq!(
            s.next_after(at("2026-01-01T00:40:30Z")),
            Some(at("2026-01-01T01:10:00Z"))
        );
    }

    #[test]
    fn weekdays_and_months() {
        // Top of the hour on weekdays (1 = Monday). 2026-03-14 is a Saturday.
        let s = sched(json!({"second": "0", "minute": "0", "dayOfWeek": "[1-5]"}));
        assert_eq!(
            s.next_after(at("2026-03-13T23:00:00Z")),
            Some(at("2026-03-16T00:00:00Z"))
        );
        let s = sched(
            json!({"second": "0", "minute": "0", "hour": "0", "dayOfMonth": "1", "month": "12"}),
        );
        assert_eq!(
            s.next_after(at("2026-03-01T00:00:00Z")),
            Some(at("2026-12-01T00:00:00Z"))
        );
        assert_eq!(
            s.next_after(at("2026-12-01T00:00:00Z")),
            Some(at("2027-12-01T00:00:00Z"))
        );
    }

    #[test]
    fn leap_day_and_impossible_dates() {
        let s = sched(
            json!({"second": "0", "minute": "0", "hour": "0", "dayOfMonth": "29", "month": "2"}),
        );
        assert_eq!(
            s.next_after(at("2026-01-01T00:00:00Z")),
            Some(at("2028-02-29T00:00:00Z"))
        );
        let never = sched(json!({"dayOfMonth": "30", "month": "2"}));
        assert_eq!(never.next_after(at("2026-01-01T00:00:00Z")), None);
    }

    #[test]
    fn every_second_when_empty() {
        let s = sched(json!({}));
        assert_eq!(
            s.next_after(at("2026-01-01T00:00:00.5Z")),
            Some(at("2026-01-01T00:00:01Z"))
        );
    }

    #[test]
    fn bad_fields_are_refused_with_their_name() {
        for (v, field) in [
            (json!({"second": "60"}), "second"),
            (json!({"hour": "24"}), "hour"),
            (json!({"dayOfMonth": "0"}), "dayOfMonth"),
            (json!({"month": "13"}), "month"),
            (json!({"dayOfWeek": "[0-5]"}), "dayOfWeek"),
            (json!({"minute": "[20-10]"}), "minute"),
            (json!({"minute": "1,,2"}), "minute"),
            (json!({"minute": "*"}), "minute"),
            (json!({"minute": "-1"}), "minute"),
            (json!({"minute": "0/0"}), "minute"),
            (json!({"minute": "99999999999"}), "minute"),
            (json!({"minute": ["1"]}), "minute"),
            (json!({"week": "1"}), "week"),
        ] {
            let e = Schedule::from_json(&v).unwrap_err();
            assert_eq!(e.field, field, "{v}");
        }
        assert!(Schedule::from_json(&json!("1")).is_err());
    }

    #[test]
    fn round_trips_its_text() {
        let v = json!({"minute": "5", "hour": "1"});
        assert_eq!(
            sched(v.clone()).to_json(),
            json!({"minute": "5", "hour": "1"})
        );
        assert_eq!(sched(json!({"hour": 1})).to_json(), json!({"hour": "1"}));
    }
}
