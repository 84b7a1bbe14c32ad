//! Timestamps in their hash form: UTC, `Z`, exactly three fractional digits.

use chrono::{DateTime, Duration, NaiveDateTime, SecondsFormat, Utc};

/// The canonical spelling of an ISO 8601 date-time, or `None` if `text` is not one.
///
/// Sub-millisecond digits are rounded to the nearest millisecond, ties to even, as the
/// reference generator does (it rounds whole microseconds).
pub(crate) fn canonical_time(text: &str) -> Option<String> {
    let utc = parse(text)?;
    let micros = i64::from(utc.timestamp_subsec_micros());
    let millis = round_half_even(micros, 1000);
    let whole_second = utc - Duration::nanoseconds(i64::from(utc.timestamp_subsec_nanos()));
    let rounded = whole_second + Duration::milliseconds(millis);
    Some(rounded.to_rfc3339_opts(SecondsFormat::Millis, true))
}

fn parse(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    // EPCIS requires an offset; a time without one is read as UTC rather than as the
    // local time of whichever machine happens to compute the hash.
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
        .map(|naive| naive.and_utc())
}

/// `value / unit`, rounded to the nearest integer, ties to even.
fn round_half_even(value: i64, unit: i64) -> i64 {
    let (quotient, remainder) = (value / unit, value % unit);
    match (remainder * 2).cmp(&unit) {
        std::cmp::Ordering::Less => quotient,
        std::cmp::Ordering::Greater => quotient + 1,
        std::cmp::Ordering::Equal => quotient + (quotient % 2),
    }
}

#[cfg(test)]
mod tests {
    use super::canonical_time as t;

    #[test]
    fn converts_to_utc_milliseconds() {
        assert_eq!(
            t("2020-03-04T11:00:30.000+01:00").as_deref(),
            Some("2020-03-04T10:00:30.000Z")
        );
        assert_eq!(
            t("2019-10-21T14:45:00Z").as_deref(),
            Some("2019-10-21T14:45:00.000Z")
        );
        assert_eq!(
            t("2005-04-04T20:33:31.116-06:00").as_deref(),
            Some("2005-04-05T02:33:31.116Z")
        );
        assert_eq!(
            t("2019-04-02T13:05:00").as_deref(),
            Some("2019-04-02T13:05:00.000Z")
        );
    }

    #[test]
    fn rounds_sub_milliseconds() {
        assert_eq!(
            t("2020-01-01T00:00:00.1234Z").as_deref(),
            Some("2020-01-01T00:00:00.123Z")
        );
        assert_eq!(
            t("2020-01-01T00:00:00.1236Z").as_deref(),
            Some("2020-01-01T00:00:00.124Z")
        );
        assert_eq!(
            t("2020-01-01T00:00:00.0005Z").as_deref(),
            Some("2020-01-01T00:00:00.000Z")
        );
        assert_eq!(
            t("2020-01-01T00:00:00.0015Z").as_deref(),
            Some("2020-01-01T00:00:00.002Z")
        );
        assert_eq!(
            t("2020-12-31T23:59:59.9996Z").as_deref(),
            Some("2021-01-01T00:00:00.000Z")
        );
    }

    #[test]
    fn rejects_non_times() {
        assert_eq!(t("yesterday"), None);
        assert_eq!(t("+01:00"), None);
    }
}
