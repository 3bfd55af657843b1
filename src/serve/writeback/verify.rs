//! Writing command registers with read-back verification: one write, one read-back, compared
//! within one raw count; no retries (a failure waits for the next round, so a device that
//! refuses or forgets writes never sees a storm of them).

use super::device::{CommandDevice, DeviceSession};
use super::policy::DeviceState;

/// What a write and its read-back came to.
pub(super) enum WriteOutcome {
    Verified(DeviceState),
    /// `after` is the read-back when there was one.
    Failed {
        after: Option<DeviceState>,
        cause: String,
    },
}

/// Writes `wanted`, reads it back once (no retries: a failure waits for the next round) and
/// compares within one raw count.
pub(super) async fn write_verified(
    device: &CommandDevice,
    session: &mut DeviceSession<'_>,
    wanted: DeviceState,
) -> WriteOutcome {
    let written = session.write(wanted).await;
    let read_back = session.read().await;
    match (written, read_back) {
        (Ok(()), Ok(after)) if device.verifies(&wanted, &after) => WriteOutcome::Verified(after),
        (Ok(()), Ok(after)) => WriteOutcome::Failed {
            after: Some(after),
            cause: format!(
                "read-back mismatch: wrote offset {:+.2} deg enable {}, read {:+.2} deg enable {}",
                wanted.yaw_offset_deg,
                u8::from(wanted.correction_enable),
                after.yaw_offset_deg,
                u8::from(after.correction_enable)
            ),
        },
        (Ok(()), Err(e)) => WriteOutcome::Failed { after: None, cause: format!("written but not read back: {e}") },
        (Err(e), after) => WriteOutcome::Failed { after: after.ok(), cause: e.to_string() },
    }
}
