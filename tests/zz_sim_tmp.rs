//! Temporary harness (deleted after use) to run tests/it/sim.rs while tests/it does not build.
mod support {
    pub mod farm {
        pub fn python() -> String {
            std::env::var("TRUEYAW_PYTHON").unwrap_or_else(|_| "python3".to_string())
        }
        pub fn python_has(module: &str) -> bool {
            std::process::Command::new(python()).args(["-c", &format!("import {module}")]).status().is_ok_and(|s| s.success())
        }
    }
}
#[path = "it/sim.rs"]
mod sim;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zz_two_thousand_turbines() {
    use tokio_modbus::prelude::*;
    let t0 = std::time::Instant::now();
    let sim = trueyaw::sim::farm::start(trueyaw::sim::farm::SimOptions {
        turbines: 2000, base_port: 0, speedup: 1.0, profile: trueyaw::sim::farm::SimProfile::realistic(),
        ..Default::default()
    }).await.unwrap();
    eprintln!("started 2000 in {:?}", t0.elapsed());
    let t1 = std::time::Instant::now();
    let mut ok = 0;
    let mut ctxs = Vec::new();
    for i in 0..2000 {
        let mut ctx = tokio_modbus::client::tcp::connect_slave(sim.modbus_addr(i), Slave(1)).await.unwrap();
        if ctx.read_input_registers(0, 8).await.unwrap().is_ok() { ok += 1; }
        ctxs.push(ctx);
    }
    eprintln!("read 2000 sequentially (connect+read) in {:?}, ok {ok}", t1.elapsed());
    let t2 = std::time::Instant::now();
    for ctx in ctxs.iter_mut() { ctx.read_input_registers(0, 8).await.unwrap().unwrap(); }
    eprintln!("re-read 2000 on open connections in {:?}", t2.elapsed());
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    eprintln!("sim time {} status {:?}", sim.sim_time(), sim.status());
    let t3 = std::time::Instant::now();
    let truth = sim.truth();
    eprintln!("truth for 2000 in {:?}: {} bytes json", t3.elapsed(), serde_json::to_vec(&truth).unwrap().len());
    let t4 = std::time::Instant::now();
    sim.shutdown().await;
    eprintln!("shutdown in {:?}", t4.elapsed());
}
