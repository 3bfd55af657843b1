//! The generic SCADA CSV of `docs/domain.md` (Generic CSV):
//! `turbine,time,wind_speed_ms,vane_deg,nacelle_deg,power_kw,rotor_rpm,pitch_deg`, any column
//! order, one value per window (its mean), plus an optional `outdoor_temp_c` (deg C; the
//! estimators correct power for air density with it); other columns are ignored.

use super::row::{Check, ColumnMap, Field, position};
use crate::domain::Signal;
use crate::store::imports::value_index;

/// The optional outdoor temperature column, deg C.
pub const OUTDOOR_TEMP: &str = "outdoor_temp_c";

/// Every column the header must have.
pub const REQUIRED: [&str; 8] =
    ["turbine", "time", "wind_speed_ms", "vane_deg", "nacelle_deg", "power_kw", "rotor_rpm", "pitch_deg"];

const SIGNALS: [Signal; 6] =
    [Signal::WindSpeed, Signal::Vane, Signal::NacellePosition, Signal::Power, Signal::RotorSpeed, Signal::Pitch];

/// Maps a header; `Err` names the first required column it lacks.
pub fn column_map(headers: &[String]) -> Result<ColumnMap, &'static str> {
    let find = |name: &'static str| position(headers, name).ok_or(name);
    let (turbine, time) = (find("turbine")?, find("time")?);
    let mut fields = Vec::with_capacity(SIGNALS.len());
    for s in SIGNALS {
        // The signal names are the generic column names (`docs/domain.md`).
        let col = position(headers, s.name()).ok_or(s.name())?;
        let value = value_index(&format!("{}_mean", s.name()));
        fields.push(Field { col, name: s.name().into(), value, check: Check::Signal(s) });
    }
    if let Some(col) = position(headers, OUTDOOR_TEMP) {
        let value = value_index("outdoor_temp_c_mean");
        fields.push(Field { col, name: OUTDOOR_TEMP.into(), value, check: Check::Temperature });
    }
    Ok(ColumnMap { turbine, time, fields, width: headers.len() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_may_come_in_any_order_with_extras_and_a_missing_one_is_named() {
        let mut h: Vec<String> = REQUIRED.iter().rev().map(|s| s.to_string()).collect();
        h.push("comment".into());
        let map = column_map(&h).unwrap();
        assert_eq!((map.turbine, map.time, map.width), (7, 6, 9));
        assert_eq!(map.fields.len(), 6, "no temperature column, no temperature field");
        h.push(OUTDOOR_TEMP.into());
        let map = column_map(&h).unwrap();
        let temp = map.fields.last().unwrap();
        assert_eq!((temp.col, temp.name.as_str()), (9, OUTDOOR_TEMP));
        h.retain(|c| c != "rotor_rpm");
        assert_eq!(column_map(&h).unwrap_err(), "rotor_rpm");
    }
}
