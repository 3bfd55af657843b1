//! The private PostgreSQL against the system's real binaries, in a temporary data directory on
//! a free port: initialised once, migrated, reused with its data, left alone when already
//! running, and gone after it is stopped.

use std::os::unix::fs::PermissionsExt;

use trueyaw::store::private_server::{Binaries, PrivateServer, PrivateServerError};

/// The system's server binaries, or `None` after one SKIPPED line when none are installed
/// (a failure under CI, which installs them).
fn binaries(test: &str) -> Option<Binaries> {
    match Binaries::find() {
        Ok(b) => Some(b),
        Err(e @ PrivateServerError::NotInstalled) => {
            assert!(std::env::var("TRUEYAW_REQUIRE_INTEROP").is_err(), "PostgreSQL is required under CI: {e}");
            crate::support::skipped(&format!("{test} (install postgresql)"));
            None
        }
        Err(e) => panic!("{e}"),
    }
}

/// A port nothing listens on right now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Whether process `pid` runs (a zombie waiting for its parent to reap it does not count).
fn is_alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat.rsplit_once(')').is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

/// Waits up to 5 s for `pid` to end: `pg_ctl stop -w` returns once `postmaster.pid` is gone,
/// a moment before the process itself.
async fn ended(pid: u32) -> bool {
    for _ in 0..50 {
        if !is_alive(pid) {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    false
}

#[tokio::test]
async fn a_private_server_is_initialised_once_reused_with_its_data_and_gone_after_stop() {
    let Some(binaries) =
        binaries("private_server::a_private_server_is_initialised_once_reused_with_its_data_and_gone_after_stop")
    else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    // Under root the server runs as `postgres`, which must be able to enter the folder.
    std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let data_dir = tmp.path().join("cache").join("postgres");
    let server = PrivateServer::new(binaries, data_dir.clone(), free_port()).unwrap();

    // First run: initdb, start, create the database, migrate, leave a mark.
    let running = server.start().await.expect("first start");
    assert!(running.started_here());
    assert!(data_dir.join("PG_VERSION").is_file());
    let url = running.url("trueyaw");
    assert!(trueyaw::store::create_database_if_missing(&url).await.unwrap());
    let pool = trueyaw::store::open(&url, 2).await.expect("connect and migrate");
    let farms: i64 = sqlx::query_scalar("SELECT count(*) FROM farms").fetch_one(&pool).await.unwrap();
    assert_eq!(farms, 0);
    sqlx::query("CREATE TABLE first_run_mark (note text)").execute(&pool).await.unwrap();
    sqlx::query("INSERT INTO first_run_mark VALUES ('still here')").execute(&pool).await.unwrap();
    let listen: String =
        sqlx::query_scalar("SELECT current_setting('listen_addresses')").fetch_one(&pool).await.unwrap();
    assert_eq!(listen, "127.0.0.1");
    pool.close().await;
    let pid = running.postmaster_pid().expect("postmaster.pid while running");
    assert!(is_alive(pid));
    running.stop().await.expect("stop");
    assert!(ended(pid).await, "postmaster {pid} still runs after stop");
    assert!(!data_dir.join("postmaster.pid").exists());

    // Second run: no initdb (the mark is still there), started again by this process.
    let version_before = std::fs::metadata(data_dir.join("PG_VERSION")).unwrap().modified().unwrap();
    let running = server.start().await.expect("second start");
    assert!(running.started_here());
    assert_eq!(std::fs::metadata(data_dir.join("PG_VERSION")).unwrap().modified().unwrap(), version_before);
    let url = running.url("trueyaw");
    assert!(!trueyaw::store::create_database_if_missing(&url).await.unwrap());
    let pool = trueyaw::store::open(&url, 2).await.unwrap();
    let note: String = sqlx::query_scalar("SELECT note FROM first_run_mark").fetch_one(&pool).await.unwrap();
    assert_eq!(note, "still here");

    // A start while it runs uses it and leaves it running when its guard goes.
    let again = server.start().await.expect("start while running");
    assert!(!again.started_here());
    assert_eq!(again.port(), running.port());
    drop(again);
    let one: i32 = sqlx::query_scalar("SELECT 1").fetch_one(&pool).await.expect("still running");
    assert_eq!(one, 1);
    pool.close().await;

    // The guard of the process that started it stops it when dropped.
    let pid = running.postmaster_pid().unwrap();
    tokio::task::spawn_blocking(move || drop(running)).await.unwrap();
    assert!(ended(pid).await, "postmaster {pid} still runs after its guard was dropped");
}
