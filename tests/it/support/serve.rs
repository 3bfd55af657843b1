//! A running `trueyaw serve` for tests: a fresh database, a two-turbine farm (T01, T02) whose
//! API and SCADA server listen on port 0, tokens of every role, and helpers to register models,
//! readings and windows the way `train`, `poll` and `import` would, and to sign in to the dashboard.

use std::net::SocketAddr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;
use trueyaw::config::FarmConfig;
use trueyaw::domain::{Quality, Reading};
use trueyaw::model::{BinVaneError, VaneErrorEstimate};
use trueyaw::serve::Server;
use trueyaw::serve::auth::{self, Role};
use trueyaw::serve::state::AppState;
use trueyaw::store::imports::{ImportWindow, VALUE_COLUMNS, value_index, write_import_windows};
use trueyaw::store::{self, NewModel};

use super::db::TestDb;
use super::farm::{farm, modbus};

pub struct Served {
    pub db: TestDb,
    pub api: SocketAddr,
    pub scada: SocketAddr,
    pub state: AppState,
    pub stop: CancellationToken,
    pub http: reqwest::Client,
    pub viewer: String,
    pub operator: String,
    pub admin: String,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
    _dir: tempfile::TempDir,
}

/// e(ws) of the test models: 2 deg at 8 m/s, rising 0.1 deg per m/s.
pub fn test_e(ws: f64) -> f64 {
    2.0 + 0.1 * (ws - 8.0)
}

impl Served {
    /// Starts a server for T01 and T02; `open_read` opens GETs without a token.
    pub async fn start(open_read: bool) -> Served {
        Self::start_farm(2, open_read, |_| {}).await
    }

    /// Starts a server for `turbines` turbines, letting `tune` adjust the config first.
    pub async fn start_farm(turbines: u16, open_read: bool, tune: impl FnOnce(&mut FarmConfig)) -> Served {
        let db = TestDb::migrated().await;
        let dir = tempfile::tempdir().unwrap();
        let mut config = farm("wf", (1..=turbines).map(|p| modbus(p, 1)).collect(), dir.path());
        config.serve.api_addr = "127.0.0.1:0".parse().unwrap();
        config.serve.scada_addr = "127.0.0.1:0".parse().unwrap();
        config.serve.latest_refresh_ms = 100;
        config.serve.stale_after_s = 120;
        config.serve.open_read = open_read;
        config.serve.max_batch_readings = 100;
        config.serve.drift_watch_every_s = 0; // tests call the watch and the write-back themselves
        config.writeback.interval_s = 86_400;
        tune(&mut config);
        let server = Server::build(&config, db.pool.clone(), None).await.expect("server builds");
        let (api, scada, state) = (server.api_addr(), server.scada_addr().expect("scada on"), server.state());
        let stop = CancellationToken::new();
        let task = tokio::spawn(server.run(stop.clone()));
        let token = |name: &'static str, role| {
            let pool = db.pool.clone();
            async move { auth::create_token(&pool, name, role, "test").await.unwrap() }
        };
        let (viewer, operator, admin) =
            (token("v", Role::Viewer).await, token("o", Role::Operator).await, token("a", Role::Admin).await);
        Served { db, api, scada, state, stop, http: reqwest::Client::new(), viewer, operator, admin, task, _dir: dir }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.api)
    }

    pub fn turbine_id(&self, name: &str) -> i32 {
        self.state.turbines.by_name(name).expect("turbine").id
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        let mut r = self.http.get(self.url(path));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send().await.expect("request")
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &serde_json::Value) -> reqwest::Response {
        let mut r = self.http.post(self.url(path)).json(body);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send().await.expect("request")
    }

    /// Registers a binned model of `turbine` whose e is `offset + test_e(ws)` (bins 4-11 m/s
    /// estimated, the rest extrapolated), as `trueyaw train` would; `active` decides whether
    /// it passes its gates. Returns its version.
    pub async fn register_model(&self, turbine: &str, offset: f64, active: bool) -> i32 {
        self.register_model_with(turbine, offset, active, |_, _| {}).await
    }

    /// [`Served::register_model`], letting `tune` change the row (metrics, data period) and
    /// the estimate (drift events, ...) before it is stored.
    pub async fn register_model_with(
        &self,
        turbine: &str,
        offset: f64,
        active: bool,
        tune: impl FnOnce(&mut NewModel, &mut VaneErrorEstimate),
    ) -> i32 {
        let id = self.turbine_id(turbine);
        let bins = (3..=15)
            .map(|ws| {
                let ws = f64::from(ws);
                let e = offset + test_e(ws);
                BinVaneError {
                    ws,
                    vane_error_deg: Some(e),
                    ci95: Some([e - 0.4, e + 0.4]),
                    extrapolated: !(4.0..=11.0).contains(&ws),
                    n_windows: 500,
                }
            })
            .collect();
        let mut estimate = VaneErrorEstimate::empty(turbine, "binned", 4000);
        estimate.bins = bins;
        estimate.vane_error_deg = Some(offset + test_e(7.5));
        estimate.ci95 = Some([offset + test_e(7.5) - 0.3, offset + test_e(7.5) + 0.3]);
        estimate.cos_exponent = Some(2.0);
        let mut tx = self.db.pool.begin().await.unwrap();
        let version = store::lock_next_version(&mut tx, id).await.unwrap();
        let mut m = NewModel {
            turbine_id: id,
            version,
            method: "binned".into(),
            active,
            reason: (!active).then(|| "interval too wide".to_string()),
            artifact_dir: self._dir.path().join(format!("{turbine}-{version}")).display().to_string(),
            data_from: None,
            data_to: None,
            n_windows: 4000,
            metrics: serde_json::json!({}),
            estimate: serde_json::Value::Null,
        };
        tune(&mut m, &mut estimate);
        m.estimate = serde_json::to_value(&estimate).unwrap();
        store::insert_model(&mut tx, &m).await.unwrap();
        tx.commit().await.unwrap();
        version
    }

    /// Stores windows of `turbine` of `length_s` as a SCADA import would:
    /// `(start, wind speed m/s, vane deg, power kW, pitch deg)`.
    pub async fn add_windows(&self, turbine: &str, length_s: i32, rows: &[(DateTime<Utc>, f64, f64, f64, f64)]) {
        let id = self.turbine_id(turbine);
        let rows: Vec<ImportWindow> = rows
            .iter()
            .map(|&(t, ws, vane, power, pitch)| {
                let mut values = [None; VALUE_COLUMNS.len()];
                values[value_index("wind_speed_ms_mean")] = Some(ws);
                values[value_index("vane_deg_mean")] = Some(vane);
                values[value_index("power_kw_mean")] = Some(power);
                values[value_index("pitch_deg_mean")] = Some(pitch);
                values[value_index("nacelle_deg_mean")] = Some(180.0);
                ImportWindow { turbine_id: id, window_start: t, values }
            })
            .collect();
        let mut conn = self.db.pool.acquire().await.unwrap();
        write_import_windows(&mut conn, length_s, &rows).await.unwrap();
    }

    /// A good reading of a running `turbine` (900 kW, 12 rpm, pitch 0), as polled.
    pub fn reading(&self, turbine: &str, time: DateTime<Utc>, ws: f32, vane: f32, nacelle: f32) -> Reading {
        Reading {
            turbine_id: self.turbine_id(turbine),
            // PostgreSQL keeps microseconds
            time: chrono::DurationRound::duration_trunc(time, chrono::TimeDelta::microseconds(1)).unwrap(),
            wind_speed_ms: Some(ws),
            vane_deg: Some(vane),
            nacelle_deg: Some(nacelle),
            power_kw: Some(900.0),
            rotor_rpm: Some(12.0),
            pitch_deg: Some(0.0),
            state: Some(1),
            quality: Quality::GOOD,
        }
    }

    /// Stores readings without waiting for the latest-readings cache.
    pub async fn add_readings(&self, readings: &[Reading]) {
        store::write_readings(&self.db.pool, readings).await.unwrap();
    }

    /// Signs in to the dashboard with `token` and returns the session cookie (`name=value`).
    pub async fn sign_in(&self, token: &str) -> String {
        let no_redirect = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let r = no_redirect.get(self.url(&format!("/login?token={token}"))).send().await.unwrap();
        assert_eq!(r.status(), 303, "signing in redirects");
        let cookie = r.headers()["set-cookie"].to_str().unwrap();
        cookie.split(';').next().unwrap().to_string()
    }

    /// Waits until the served model of `turbine` has `version` (the NOTIFY path).
    pub async fn wait_for_version(&self, turbine: &str, version: i32) {
        let id = self.turbine_id(turbine);
        for _ in 0..100 {
            if self.state.models.get(id).is_some_and(|m| m.version == version) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("model {turbine} v{version} was not swapped in within 5 s");
    }

    /// Stores a reading of `turbine` at `time` and waits until the latest-readings cache has it.
    pub async fn add_reading(&self, turbine: &str, time: DateTime<Utc>, ws: f32, vane: f32, nacelle: f32) {
        let id = self.turbine_id(turbine);
        let r = self.reading(turbine, time, ws, vane, nacelle);
        let time = r.time;
        store::write_readings(&self.db.pool, &[r]).await.unwrap();
        for _ in 0..100 {
            if self.state.latest.get(id).is_some_and(|r| r.time == time) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("reading of {turbine} at {time} never reached the latest-readings cache");
    }

    pub async fn stop(self) {
        self.stop.cancel();
        self.task.await.unwrap().expect("server ran cleanly");
        self.db.drop_now().await;
    }
}
