//! Parsers of flag values: ranges and formats clap has no built-in check for, and the named
//! choices of lower layers (methods, report formats, the private database), which know
//! nothing of clap.

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};

/// Speed-ups from 0.01 (slow motion) to 10,000 (a week in a minute).
pub(super) fn positive_speedup(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("{s:?} is not a number"))?;
    if (0.01..=10_000.0).contains(&v) { Ok(v) } else { Err(format!("{v} is outside 0.01..=10000")) }
}

/// Window lengths from 1 minute to 1 day that divide a day, so windows line up with midnight.
pub(super) fn day_divisor_minutes(s: &str) -> Result<u32, String> {
    let v: u32 = s.parse().map_err(|_| format!("{s:?} is not a whole number of minutes"))?;
    if (1..=1440).contains(&v) && 1440 % v == 0 { Ok(v) } else { Err(format!("{v} does not divide 1440 minutes")) }
}

/// RFC 3339, or a date alone meaning its midnight UTC.
pub(super) fn time_or_date(s: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    match chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        Ok(d) => Ok(d.and_time(chrono::NaiveTime::MIN).and_utc()),
        Err(_) => rfc3339(s).map_err(|e| format!("{e} (nor a date YYYY-MM-DD)")),
    }
}

pub(super) fn rfc3339(s: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    chrono::DateTime::parse_from_rfc3339(s).map(|t| t.to_utc()).map_err(|e| format!("{s:?} is not RFC 3339: {e}"))
}

/// One `--neural-set KEY=VALUE`, checked against the default config on its own so a bad key or
/// value is refused while parsing, with the key named.
pub(super) fn neural_setting(s: &str) -> Result<(String, serde_json::Value), String> {
    let (key, raw) = s.split_once('=').ok_or_else(|| format!("{s:?} is not KEY=VALUE"))?;
    let value: serde_json::Value =
        serde_json::from_str(raw).map_err(|e| format!("value of {key:?} is not JSON ({raw:?}): {e}"))?;
    let setting = (key.trim().to_string(), value);
    crate::model::neural::NeuralConfig::new().with_settings(std::slice::from_ref(&setting))?;
    Ok(setting)
}

/// `train --method`: each method with its line of help.
pub(super) const METHODS: &[(&str, &str)] = &[
    ("neural", "The structured Burn model with drift and ensemble intervals (`model::neural`)"),
    ("binned", "Per-bin power-peak fit, NREL OpenOA's StaticYawMisalignment (`model::binned`)"),
];

/// `report --format`.
pub(super) const REPORT_FORMATS: &[(&str, &str)] = &[
    ("html", "Self-contained page with the chart (prints well)"),
    ("json", "Pretty JSON of the whole report"),
    ("csv", "One CSV per table"),
    ("pdf", "The HTML page printed to PDF by headless Chromium (which must be installed)"),
];

/// `demo` and `serve --private-database`.
pub(super) const PRIVATE_DATABASE: &[(&str, &str)] = &[
    ("never", "Use the default address; never start a private server"),
    ("auto", "Start a private server when nothing answers on the default address"),
    ("always", "Start a private server even when the default address answers"),
];

/// A parser for a type of a lower layer, which knows nothing of clap: `--help` lists `values`
/// (name, help) as `value_enum` would, only those are accepted, and the type's `FromStr` turns
/// the name into the value.
pub(super) fn one_of<T>(values: &'static [(&'static str, &'static str)]) -> impl TypedValueParser<Value = T>
where
    T: std::str::FromStr + Clone + Send + Sync + 'static,
    T::Err: std::fmt::Display,
{
    let possible = values.iter().map(|&(name, help)| PossibleValue::new(name).help(help));
    PossibleValuesParser::new(possible).try_map(|name: String| name.parse::<T>().map_err(|e| e.to_string()))
}
