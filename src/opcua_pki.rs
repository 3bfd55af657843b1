//! Where async-opcua keeps certificates, and a key pair so it stays quiet.
//!
//! async-opcua creates `<pki>/trusted` and `<pki>/rejected` and reads `<pki>/own/cert.der` and
//! `<pki>/private/private.pem` on every secure channel it opens, even with security None, and
//! logs two errors per channel when they are missing: at 1 Hz reconnect attempts that is log
//! spam. So each role (poller, simulator) gets a directory under the system temp dir holding a
//! self-signed key pair made once per machine. Nothing is ever encrypted or signed with it
//! (every session here uses security None); it exists only so the library finds what it looks
//! for. The temp dir keeps the service's working directory and the checkout clean and needs no
//! setup on a fresh machine.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use opcua::crypto::{CertificateStore, X509Data};
use opcua::types::{ApplicationDescription, ApplicationType, LocalizedText};

/// The certificate store directory of `role` (`"poller"`, `"sim"`), with its key pair created
/// if it was missing. Never fails: without a key pair the library still works, only louder.
pub fn pki_dir(role: &str, application_uri: &str) -> PathBuf {
    // One creation at a time within the process; across processes the rename below decides.
    static LOCK: OnceLock<Mutex<()>> = OnceLock::new();
    let _guard = LOCK.get_or_init(Mutex::default).lock().unwrap_or_else(|e| e.into_inner());
    let dir = std::env::temp_dir().join(format!("trueyaw-opcua-{role}-pki"));
    if !dir.join("own/cert.der").exists() {
        create_key_pair(&dir, role, application_uri);
    }
    dir
}

/// Builds the store in a private staging directory, then renames it into place in one step,
/// so two processes starting at once never see half a store (the loser's rename fails and it
/// uses the winner's).
fn create_key_pair(dir: &Path, role: &str, application_uri: &str) {
    let staging = dir.with_extension(format!("staging-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    let description = ApplicationDescription {
        application_uri: application_uri.into(),
        application_name: LocalizedText::new("", &format!("trueyaw {role}")),
        application_type: ApplicationType::Client,
        ..Default::default()
    };
    let created = CertificateStore::create_certificate_and_key(
        &X509Data::from(description),
        true,
        &staging.join("own/cert.der"),
        &staging.join("private/private.pem"),
    );
    match created {
        Ok(_) if std::fs::rename(&staging, dir).is_ok() => return,
        Ok(_) if !dir.join("own/cert.der").exists() => {
            // `dir` exists without a key pair (an older run made only trusted/ and rejected/):
            // move the two halves in instead.
            for part in ["own", "private"] {
                let _ = std::fs::remove_dir_all(dir.join(part));
                let _ = std::fs::rename(staging.join(part), dir.join(part));
            }
        }
        Ok(_) => {}
        Err(e) => {
            tracing::debug!(error = %e, dir = %dir.display(), "no OPC UA key pair; the library will log about it")
        }
    }
    let _ = std::fs::remove_dir_all(&staging);
}
