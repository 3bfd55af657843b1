//! Prometheus metrics (`GET /metrics`): request counts and latencies recorded by a middleware,
//! and, at scrape time, the poller's counters (when it runs in this process), SCADA requests and
//! model ages. One process-wide recorder (`metrics` + `metrics-exporter-prometheus`).

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use chrono::Utc;
use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use super::state::StateInner;

/// Latency buckets, seconds: the correction path lives in the sub-millisecond ones.
const LATENCY_BUCKETS_S: &[f64] =
    &[0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

/// The process-wide recorder's handle, installing it on first use. (Tests run several servers in
/// one process; they share it.)
pub fn handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS_S)
                .expect("non-empty buckets")
                .build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("a metrics recorder was already installed; /metrics will miss request metrics");
            }
            handle
        })
        .clone()
}

/// Middleware: counts requests by route template and status, and records their latency.
pub async fn track(req: Request, next: Next) -> Response {
    let route =
        req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "unmatched".into());
    let method = req.method().to_string();
    let start = Instant::now();
    let resp = next.run(req).await;
    let status = resp.status().as_u16().to_string();
    histogram!("trueyaw_http_request_duration_seconds", "route" => route.clone(), "method" => method.clone())
        .record(start.elapsed().as_secs_f64());
    counter!("trueyaw_http_requests_total", "route" => route, "method" => method, "status" => status).increment(1);
    resp
}

/// Sets the scrape-time values and renders the text exposition format.
pub fn render(state: &StateInner) -> String {
    let now = Utc::now();
    let models = state.models.snapshot();
    gauge!("trueyaw_models_loaded").set(models.len() as f64);
    gauge!("trueyaw_model_load_errors").set(state.models.errors().len() as f64);
    for t in state.turbines.all() {
        if let Some(m) = models.get(&t.id) {
            let age = (now - m.created_at).num_seconds() as f64;
            gauge!("trueyaw_model_age_seconds", "turbine" => t.name.clone()).set(age);
            gauge!("trueyaw_model_version", "turbine" => t.name.clone()).set(f64::from(m.version));
        }
        let drift = state.drift_open.load().get(&t.id).copied();
        gauge!("trueyaw_drift_alert_open", "turbine" => t.name.clone()).set(if drift.is_some() { 1.0 } else { 0.0 });
        if let Some(r) = state.latest.get(t.id) {
            let age = (now - r.time).num_milliseconds() as f64 / 1000.0;
            gauge!("trueyaw_reading_age_seconds", "turbine" => t.name.clone()).set(age);
        }
    }
    if let Some(scada) = state.scada_requests.get() {
        counter!("trueyaw_scada_requests_total").absolute(scada.load(std::sync::atomic::Ordering::Relaxed));
    }
    if let Some(exceptions) = state.scada_exceptions.get() {
        counter!("trueyaw_scada_exceptions_total").absolute(exceptions.load(std::sync::atomic::Ordering::Relaxed));
    }
    if let Some(ingest) = &state.ingest {
        let c = ingest.counts();
        counter!("trueyaw_rows_written_total").absolute(c.rows_written);
        counter!("trueyaw_rows_spooled_total").absolute(c.rows_spooled);
        counter!("trueyaw_write_failures_total").absolute(c.write_failures);
        gauge!("trueyaw_spool_bytes").set(c.spool_bytes as f64);
        gauge!("trueyaw_spool_segments").set(c.spool_segments as f64);
        counter!("trueyaw_polls_total", "result" => "ok").absolute(c.polls_ok);
        counter!("trueyaw_polls_total", "result" => "failed").absolute(c.polls_failed);
    }
    gauge!("trueyaw_uptime_seconds").set(state.started.elapsed().as_secs_f64());
    handle().render()
}
