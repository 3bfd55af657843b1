//! The ENGIE open-data SCADA export (the La Haute Borne data set): `Wind_turbine_name`,
//! `Date_time` (RFC 3339 with offset, window start) and per-signal `<code>_avg` columns, with
//! optional `_std`, `_min` and `_max` variants. Separated by `;` (ENGIE's own download) or `,`
//! (the OpenOA copy); the reader detects which from the header.
//!
//! Codes used: Ba pitch deg, P active power kW, Ws nacelle wind speed m/s, Va vane deg (seen in
//! [-180, 180] in the 2014-2015 data; [0, 360) also accepted and wrapped), Ya nacelle angle deg,
//! Rs rotor speed rpm (optional: the OpenOA copy lacks it), Ot outdoor temperature deg C and Wa
//! absolute wind direction deg (means only). Other codes (Ds, Rm, ...) are ignored.

use super::row::{Check, ColumnMap, Field, position};
use crate::domain::Signal;
use crate::store::imports::{VALUE_COLUMNS, value_index};

/// Every column the header must have.
pub const REQUIRED: [&str; 9] =
    ["Wind_turbine_name", "Date_time", "Ba_avg", "P_avg", "Ws_avg", "Va_avg", "Ot_avg", "Ya_avg", "Wa_avg"];

/// ENGIE code and the signal whose window columns (`<signal name>_mean`, ...) it fills.
const SIGNALS: [(&str, Signal); 6] = [
    ("Ba", Signal::Pitch),
    ("P", Signal::Power),
    ("Ws", Signal::WindSpeed),
    ("Va", Signal::Vane),
    ("Ya", Signal::NacellePosition),
    ("Rs", Signal::RotorSpeed),
];

/// Maps a header; `Err` names the first required column it lacks.
pub fn column_map(headers: &[String]) -> Result<ColumnMap, &'static str> {
    for name in REQUIRED {
        position(headers, name).ok_or(name)?;
    }
    let mut fields = Vec::new();
    let mut add = |code: String, value: String, check: Check| {
        if let Some(col) = position(headers, &code) {
            // The nacelle has no min/max window columns: extremes of a heading mean little.
            if VALUE_COLUMNS.contains(&value.as_str()) {
                fields.push(Field { col, name: code, value: value_index(&value), check });
            }
        }
    };
    for (code, signal) in SIGNALS {
        let stem = signal.name();
        add(format!("{code}_avg"), format!("{stem}_mean"), Check::Signal(signal));
        add(format!("{code}_std"), format!("{stem}_std"), Check::Spread);
        add(format!("{code}_min"), format!("{stem}_min"), Check::Signal(signal));
        add(format!("{code}_max"), format!("{stem}_max"), Check::Signal(signal));
    }
    add("Ot_avg".into(), "outdoor_temp_c_mean".into(), Check::Temperature);
    add("Wa_avg".into(), "wind_dir_deg_mean".into(), Check::Direction);
    let at = |name| position(headers, name).unwrap_or_default();
    Ok(ColumnMap { turbine: at("Wind_turbine_name"), time: at("Date_time"), fields, width: headers.len() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(s: &str) -> Vec<String> {
        s.split(',').map(str::to_string).collect()
    }

    #[test]
    fn the_openoa_header_maps_means_temperature_and_direction() {
        let map = column_map(&headers(&REQUIRED.join(","))).unwrap();
        let names: Vec<&str> = map.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["Ba_avg", "P_avg", "Ws_avg", "Va_avg", "Ya_avg", "Ot_avg", "Wa_avg"]);
    }

    #[test]
    fn spread_and_extremes_fill_their_window_columns_and_a_missing_mean_is_named() {
        let h = headers(&format!("{},Va_std,Va_min,Va_max,Ya_min,Rs_avg,Ds_avg", REQUIRED.join(",")));
        let map = column_map(&h).unwrap();
        let va_std = map.fields.iter().find(|f| f.name == "Va_std").unwrap();
        assert_eq!((va_std.value, va_std.check), (value_index("vane_deg_std"), Check::Spread));
        assert!(map.fields.iter().any(|f| f.name == "Rs_avg"));
        assert!(!map.fields.iter().any(|f| f.name == "Ya_min" || f.name == "Ds_avg"));
        let h: Vec<String> = h.into_iter().filter(|c| c != "Va_avg").collect();
        assert_eq!(column_map(&h).unwrap_err(), "Va_avg");
    }
}
