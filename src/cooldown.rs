//! The cooldown: files uploaded after a cutoff are not recorded (`--exclude-newer DATE`, or
//! `exclude-newer-days = N` in the user's configuration), as uv's `--exclude-newer` ignores
//! them. A compromised maintainer's fresh upload is most often caught within days; a team that
//! waits that long before trusting new bytes is not among its first victims.
//!
//! Only recording is held back: a file the entry already records (by name, or by a hash the
//! index declares for it) is judged as always, however new. The upload time is the index's
//! PEP 700 `upload-time`; a file listed without one (HTML pages, find-links) cannot be held
//! back, and is not.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::UsageError;

/// The moment after which uploads are not recorded, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cutoff {
    /// Seconds since the Unix epoch.
    pub(crate) unix: i64,
    /// What set it, for messages: ``"`--exclude-newer 2026-11-01`"``.
    pub(crate) source: String,
}

impl Cutoff {
    /// The stricter (earlier) of `--exclude-newer` and the configured number of days; `None`
    /// when neither is set.
    pub(crate) fn new(
        exclude_newer: Option<&str>,
        days: Option<u32>,
    ) -> Result<Option<Self>, UsageError> {
        let from_flag = exclude_newer
            .map(|text| {
                parse_timestamp(text)
                    .map(|unix| Self {
                        unix,
                        source: format!("`--exclude-newer {text}`"),
                    })
                    .ok_or_else(|| {
                        UsageError::new(format!(
                            "`--exclude-newer {text}` is not a date\nhint: give a date (`2026-11-01`) or an RFC 3339 time (`2026-11-01T12:00:00Z`)"
                        ))
                    })
            })
            .transpose()?;
        let from_days = days.map(|days| {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |elapsed| {
                    i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
                });
            Self {
                unix: now - i64::from(days) * 86_400,
                source: format!("`exclude-newer-days = {days}`"),
            }
        });
        Ok(match (from_flag, from_days) {
            (Some(flag), Some(days)) => Some(if days.unix < flag.unix { days } else { flag }),
            (flag, days) => flag.or(days),
        })
    }

    /// Whether an upload at `uploaded` (RFC 3339) came after the cutoff; `false` when the time
    /// is unknown or unreadable.
    pub(crate) fn excludes(&self, uploaded: Option<&str>) -> bool {
        uploaded
            .and_then(parse_timestamp)
            .is_some_and(|unix| unix > self.unix)
    }

    /// The cutoff as a UTC time, for messages.
    pub(crate) fn shown(&self) -> String {
        format_unix(self.unix)
    }
}

/// The cutoff a command runs with: `--exclude-newer` and `exclude-newer-days` from the user's
/// configuration files (read from the current directory, as hooks are), the earlier winning.
pub(crate) fn for_command(
    options: &crate::cli::CooldownOptions,
    env: &dyn Fn(&str) -> Option<String>,
) -> anyhow::Result<Option<Cutoff>> {
    let days = crate::hooks::cooldown_days(std::path::Path::new("."), env)?;
    Ok(Cutoff::new(options.exclude_newer.as_deref(), days)?)
}

/// `YYYY-MM-DD` (midnight UTC) or an RFC 3339 date-time with `Z` or an offset, fractions of a
/// second allowed, as seconds since the Unix epoch.
pub(crate) fn parse_timestamp(text: &str) -> Option<i64> {
    let text = text.trim();
    let datetime: toml::value::Datetime = text.parse().ok()?;
    let date = datetime.date?;
    let days = days_from_civil(
        i64::from(date.year),
        u32::from(date.month),
        u32::from(date.day),
    );
    let Some(time) = datetime.time else {
        // A date alone; a local date-time without an offset is not accepted.
        return (datetime.offset.is_none() && text.len() == 10).then_some(days * 86_400);
    };
    let seconds = i64::from(time.hour) * 3600
        + i64::from(time.minute) * 60
        + i64::from(time.second.unwrap_or(0));
    let offset_minutes = match datetime.offset? {
        toml::value::Offset::Z => 0,
        toml::value::Offset::Custom { minutes } => i64::from(minutes),
    };
    Some(days * 86_400 + seconds - offset_minutes * 60)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// `YYYY-MM-DDTHH:MM:SSZ` for seconds since the Unix epoch.
pub(crate) fn format_unix(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let seconds = unix.rem_euclid(86_400);
    // The inverse of `days_from_civil`.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        seconds / 3600,
        seconds % 3600 / 60,
        seconds % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_dates_and_rfc_3339_times() {
        assert_eq!(parse_timestamp("1970-01-01"), Some(0));
        assert_eq!(
            parse_timestamp("2024-12-04T17:35:28.17432Z"),
            Some(1_733_333_728)
        );
        assert_eq!(
            parse_timestamp("2024-12-04T18:35:28+01:00"),
            Some(1_733_333_728)
        );
        assert_eq!(parse_timestamp("2024-02-29"), Some(1_709_164_800));
        assert_eq!(parse_timestamp("2024-12-04T17:35:28"), None, "no offset");
        assert_eq!(parse_timestamp("yesterday"), None);
        assert_eq!(format_unix(1_733_333_728), "2024-12-04T17:35:28Z");
        assert_eq!(format_unix(0), "1970-01-01T00:00:00Z");
        for unix in [951_782_400, 1_709_164_800, 4_102_444_800, -86_400] {
            assert_eq!(parse_timestamp(&format_unix(unix)), Some(unix));
        }
    }

    #[test]
    fn the_stricter_cutoff_wins_and_unknown_times_pass() {
        let cutoff = Cutoff::new(Some("2000-01-01"), Some(1)).unwrap().unwrap();
        assert_eq!(cutoff.shown(), "2000-01-01T00:00:00Z");
        assert!(cutoff.excludes(Some("2000-01-01T00:00:01Z")));
        assert!(!cutoff.excludes(Some("1999-12-31T23:59:59Z")));
        assert!(!cutoff.excludes(None));
        assert!(Cutoff::new(Some("soon"), None).is_err());
        assert_eq!(Cutoff::new(None, None).unwrap(), None);
        let days = Cutoff::new(Some("2999-01-01"), Some(7)).unwrap().unwrap();
        assert!(days.source.contains("exclude-newer-days = 7"));
    }
}
