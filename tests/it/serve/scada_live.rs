//! The SCADA server serves what the API serves: the active model at the newest reading, with a
//! status a controller can act on.

use chrono::Utc;
use tokio_modbus::prelude::*;

use crate::support::serve::{Served, test_e};

#[tokio::test]
async fn controllers_read_the_live_correction_and_its_status_per_unit() {
    let s = Served::start(false).await;
    s.register_model("T01", 0.0, true).await;
    s.wait_for_version("T01", 1).await;
    s.add_reading("T01", Utc::now(), 8.0, 5.0, 90.0).await;
    let mut ctx = tcp::connect_slave(s.scada, Slave(1)).await.unwrap();
    let regs = ctx.read_input_registers(0, 7).await.unwrap().unwrap();
    let rel = 5.0 - test_e(8.0);
    assert_eq!(regs[0] as i16, (rel * 100.0).round() as i16);
    assert_eq!(regs[1], ((90.0 + rel) * 100.0).round() as u16);
    assert_eq!(regs[2] as i16, (test_e(8.0) * 100.0).round() as i16);
    assert_eq!(regs[3], 40, "half-width 0.4 deg");
    assert_eq!(regs[4], 1, "model version");
    assert!(regs[5] <= 5, "reading age {} s", regs[5]);
    assert_eq!(regs[6], 0, "status ok");
    ctx.set_slave(Slave(2));
    let regs = ctx.read_input_registers(0, 7).await.unwrap().unwrap();
    assert_eq!(regs[6], 2, "T02 has no model");
    assert_eq!(regs[2], 0x8000, "no offset: the missing sentinel");
    ctx.set_slave(Slave(9));
    let e = ctx.read_input_registers(0, 7).await.unwrap();
    assert!(e.is_err(), "unknown unit gets an exception: {e:?}");
    s.stop().await;
}
