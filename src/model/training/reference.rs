//! The farm's reference power per window, for the neural model's optional normalisation
//! (`NeuralConfig::reference_power`): in each window, the median power of the *other* producing
//! turbines. Dividing a turbine's power by it removes most of the wind's variability that the
//! nacelle anemometer misses (gusts, shear, the anemometer's own error), which is what users of
//! the classic power-curve method ask for. It needs at least [`MIN_OTHERS`] others producing in
//! the same window; windows without them get no reference.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::model::stats::median_in_place;
use crate::store::{self, StoreError};

/// Other producing turbines a window needs for a reference (a median of one is that turbine).
pub const MIN_OTHERS: usize = 2;

/// Reference power (kW) per turbine id and window start.
pub type ReferencePower = HashMap<i32, HashMap<DateTime<Utc>, f64>>;

/// Loads the farm's producing windows and forms every turbine's reference power.
pub async fn farm_reference_power(
    pool: &PgPool,
    farm_id: i32,
    length_s: i32,
    period: super::Period,
) -> Result<ReferencePower, StoreError> {
    let rows = store::windows::farm_power_windows(pool, farm_id, length_s, period.from, period.to).await?;
    Ok(reference_power(&rows))
}

/// `rows` ordered by time: per time, each turbine gets the median of the others' power.
fn reference_power(rows: &[(i32, DateTime<Utc>, f64)]) -> ReferencePower {
    let mut out: ReferencePower = HashMap::new();
    for same_time in rows.chunk_by(|a, b| a.1 == b.1) {
        if same_time.len() <= MIN_OTHERS {
            continue;
        }
        for (i, &(turbine, time, _)) in same_time.iter().enumerate() {
            let mut others: Vec<f64> =
                same_time.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, r)| r.2).collect();
            if let Some(median) = median_in_place(&mut others) {
                out.entry(turbine).or_default().insert(time, median);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn each_turbine_is_referred_to_the_median_of_the_others_when_two_or_more_produce() {
        let t = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let t2 = t + chrono::Duration::minutes(10);
        let rows = [(1, t, 100.0), (2, t, 200.0), (3, t, 400.0), (1, t2, 100.0), (2, t2, 300.0)];
        let r = reference_power(&rows);
        assert_eq!(r[&1][&t], 300.0); // median of 200 and 400
        assert_eq!(r[&2][&t], 250.0);
        assert_eq!(r[&3][&t], 150.0);
        assert!(!r[&1].contains_key(&t2), "one other turbine is not a reference");
    }
}
