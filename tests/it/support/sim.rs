//! Simulated farms for tests: Modbus on free loopback ports, no OPC UA, no truth file, the
//! clean profile (no downtime, curtailment, stuck or missing signals, drift).

use chrono::{DateTime, Utc};
use trueyaw::sim::farm::{self, SimHandle, SimOptions, SimProfile};

/// Starts `turbines` clean simulated turbines with `seed`, running `speedup` times real time
/// from the simulated instant `start`.
pub async fn clean_farm(turbines: usize, seed: u64, speedup: f64, start: DateTime<Utc>) -> SimHandle {
    farm::start(SimOptions {
        turbines,
        base_port: 0,
        host: "127.0.0.1".parse().unwrap(),
        seed,
        speedup,
        start,
        opcua_port: None,
        truth_path: None,
        profile: SimProfile::clean(),
    })
    .await
    .expect("simulated farm starts")
}
