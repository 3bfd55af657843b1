-- Poll health per turbine, upserted by the poller every few seconds so operators and the API
-- see which turbines answer. Counters are totals since the row was created.
CREATE TABLE turbine_health (
    turbine_id           int PRIMARY KEY REFERENCES turbines (id),
    last_attempt         timestamptz,
    last_success         timestamptz,
    consecutive_failures int NOT NULL DEFAULT 0,
    polls_ok             bigint NOT NULL DEFAULT 0,
    polls_failed         bigint NOT NULL DEFAULT 0,
    last_error           text,
    updated_at           timestamptz NOT NULL DEFAULT now()
);
