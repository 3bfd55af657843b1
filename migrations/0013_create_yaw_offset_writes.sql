-- The audit trail of the yaw-offset write-back (`src/serve/writeback/`): one row per write,
-- dry-run, hold, revert or failed write to a turbine controller's yaw offset command. Append-only.
--
-- `mode`: 'write' (an offset step written and verified), 'dry_run' (the turbine is not enabled;
-- `after_deg` is what would have been written), 'hold' (nothing written; `reason` says why),
-- 'revert' (offset 0 and correction off, written and verified), 'failed' (a write or revert
-- whose read-back did not match, or that the device refused or never answered).
-- `before_deg`/`after_deg` are the offset the controller applies (the command register when
-- correction is enabled, else 0) before and after, as read back; `before_enable`/`after_enable`
-- the correction enable register, so a row tells the full controller state. For a dry-run,
-- `after_deg` is the offset that would have been written; for a hold it is NULL.
-- `target_deg` and `model_version` describe the active model the decision came from (NULL when
-- there was none, and for reverts). `reason` starts with a stable code (`rate_limited: ...`).
-- `verified` is true when the read-back matched the write within one raw count, false for a
-- failed write, NULL where nothing was written.
-- Holds are stored only when they differ from the turbine's previous row (another mode, or
-- another reason code or model version), or at most once per `writeback.min_step_interval_s`
-- when they repeat, so a loop running every minute does not add a row every minute.
CREATE TABLE yaw_offset_writes (
    id            bigserial PRIMARY KEY,
    turbine_id    int NOT NULL REFERENCES turbines (id),
    time          timestamptz NOT NULL,
    mode          text NOT NULL CHECK (mode IN ('write', 'dry_run', 'hold', 'revert', 'failed')),
    before_deg    double precision,
    before_enable bool,
    after_deg     double precision,
    after_enable  bool,
    target_deg    double precision,
    model_version int,
    actor         text NOT NULL,
    reason        text NOT NULL,
    verified      bool
);

-- The write-back reads a turbine's latest rows (rate limit, hold de-duplication, listings).
CREATE INDEX yaw_offset_writes_turbine_time ON yaw_offset_writes (turbine_id, time DESC, id DESC);
