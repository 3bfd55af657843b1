//! The simulated yaw controller applies what the write-back writes: the true misalignment
//! moves by the offset (over the vane gain), and a revert hands pointing back.

use std::time::Duration;

use trueyaw::serve::writeback::{Decision, WriteBackSettings};
use trueyaw::sim::farm::SimHandle;

use super::{Bench, enabled, sim, t01, target};

/// Waits until the simulation has passed `sim_s` simulated seconds.
async fn wait_until(sim: &SimHandle, sim_s: u64) {
    while sim.true_state(0).sim_time_s < sim_s {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Mean true misalignment while operating over the next `hours` simulated hours, after one
/// hour for the yaw controller to settle.
async fn mean_gamma(sim: &SimHandle, hours: u64) -> f64 {
    wait_until(sim, sim.true_state(0).sim_time_s + 3600).await;
    let a = sim.true_state(0);
    wait_until(sim, a.sim_time_s + hours * 3600).await;
    let b = sim.true_state(0);
    let steps = b.operating_steps - a.operating_steps;
    assert!(steps > hours * 1800, "the turbine operated only {steps} s");
    (b.operating_gamma_sum_deg - a.operating_gamma_sum_deg) / steps as f64
}

#[tokio::test]
async fn the_simulated_controller_turns_the_rotor_by_the_offset_written_back() {
    let sim = sim(20_000.0, 4).await; // seed 4: good wind for the whole test (as in sim.rs)
    let k = sim.truth().turbines[0].gain_k;
    let one_step = WriteBackSettings { max_step_deg: 10.0, min_step_interval_s: 0, ..WriteBackSettings::default() };
    let b = Bench::new(enabled(one_step), sim.modbus_addr(0)).await;
    let before = mean_gamma(&sim, 4).await;

    assert_eq!(b.step(target(8.0)).await, Decision::Write { to: 8.0 });
    wait_until(&sim, sim.true_state(0).sim_time_s + 2).await;
    assert_eq!(sim.true_state(0).applied_offset_deg, 8.0);
    let after = mean_gamma(&sim, 4).await;
    // The controller steers vane - offset to zero: (1 + k) * gamma + e = offset.
    let (shift, want) = (after - before, 8.0 / (1.0 + k));
    assert!(
        (shift - want).abs() < 2.0,
        "misalignment moved {shift:.2} deg ({before:.2} -> {after:.2}), want {want:.2}"
    );

    b.wb.revert(&t01(), "cli").await.unwrap();
    wait_until(&sim, sim.true_state(0).sim_time_s + 2).await;
    assert_eq!(sim.true_state(0).applied_offset_deg, 0.0, "revert hands pointing back to the turbine");
    sim.shutdown().await;
    b.db.drop_now().await;
}
