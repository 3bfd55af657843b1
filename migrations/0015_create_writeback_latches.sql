-- Reverts latch (`src/serve/writeback/`): a turbine an operator reverted stays at offset 0 and
-- correction off until an operator re-enables it, across restarts of `serve` and on every
-- process that writes to it. One row per latched turbine; re-enabling deletes it and appends an
-- 'enable' row to `yaw_offset_writes`, so the audit trail tells both ends.
CREATE TABLE writeback_latches (
    turbine_id int PRIMARY KEY REFERENCES turbines (id),
    since      timestamptz NOT NULL,
    actor      text NOT NULL
);

-- 'enable': an operator lifted a revert's latch; nothing was written to the controller.
ALTER TABLE yaw_offset_writes DROP CONSTRAINT yaw_offset_writes_mode_check;
ALTER TABLE yaw_offset_writes ADD CONSTRAINT yaw_offset_writes_mode_check
    CHECK (mode IN ('write', 'dry_run', 'hold', 'revert', 'failed', 'enable'));
