//! Unit tests of the spool directory: order, limits, restarts and damage.

use chrono::{TimeZone, Utc};

use super::*;
use crate::domain::Quality;

fn batch(turbine: i32, n: usize) -> Vec<Reading> {
    let t0 = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    (0..n)
        .map(|i| {
            let mut r = Reading::failed(turbine, t0 + chrono::Duration::seconds(i as i64), Quality::GOOD);
            r.wind_speed_ms = (i % 3 != 0).then_some(i as f32 * 0.5);
            r.state = Some(1);
            r
        })
        .collect()
}

fn segment_bytes(n: usize) -> u64 {
    (codec::HEADER_LEN + n * codec::RECORD_LEN) as u64
}

#[test]
fn segments_come_back_oldest_first_and_go_when_removed() {
    let dir = tempfile::tempdir().unwrap();
    let mut spool = Spool::open(dir.path(), u64::MAX).unwrap();
    for t in 1..=3 {
        spool.append(&batch(t, 5)).unwrap();
    }
    spool.append(&[]).unwrap();
    assert_eq!((spool.len(), spool.bytes()), (3, 3 * segment_bytes(5)));
    for t in 1..=3 {
        let (id, readings) = spool.oldest().unwrap().unwrap();
        assert_eq!(readings, batch(t, 5));
        spool.remove(id).unwrap();
    }
    assert!(spool.oldest().unwrap().is_none());
    assert_eq!((spool.len(), spool.bytes()), (0, 0));
}

#[test]
fn a_reopened_spool_resumes_with_its_segments_and_numbering() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut spool = Spool::open(dir.path(), u64::MAX).unwrap();
        spool.append(&batch(1, 2)).unwrap();
        spool.append(&batch(2, 2)).unwrap();
    }
    let mut spool = Spool::open(dir.path(), u64::MAX).unwrap();
    assert_eq!(spool.len(), 2);
    spool.append(&batch(3, 2)).unwrap();
    let order: Vec<i32> = std::iter::from_fn(|| {
        let (id, r) = spool.oldest().unwrap()?;
        spool.remove(id).unwrap();
        Some(r[0].turbine_id)
    })
    .collect();
    assert_eq!(order, vec![1, 2, 3]);
}

#[test]
fn an_append_past_the_limit_is_refused_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut spool = Spool::open(dir.path(), segment_bytes(4) * 2).unwrap();
    spool.append(&batch(1, 4)).unwrap();
    spool.append(&batch(1, 4)).unwrap();
    assert!(matches!(spool.append(&batch(1, 1)), Err(SpoolError::Full { .. })));
    assert_eq!(spool.len(), 2);
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 2);
    spool.append_over_limit(&batch(1, 1)).unwrap();
    assert_eq!(spool.len(), 3);
}

#[test]
fn a_corrupt_segment_is_moved_aside_and_the_next_one_served() {
    let dir = tempfile::tempdir().unwrap();
    let mut spool = Spool::open(dir.path(), u64::MAX).unwrap();
    spool.append(&batch(1, 3)).unwrap();
    spool.append(&batch(2, 3)).unwrap();
    let first = spool.segment_path(0);
    let mut bytes = fs::read(&first).unwrap();
    bytes[codec::HEADER_LEN + 30] ^= 0xff;
    fs::write(&first, bytes).unwrap();
    let (_, readings) = spool.oldest().unwrap().unwrap();
    assert_eq!(readings[0].turbine_id, 2);
    assert_eq!(spool.len(), 1);
    assert!(dir.path().join("00000000000000000000.seg.corrupt").exists());
    // The quarantined file is not mistaken for a segment after a restart either.
    assert_eq!(Spool::open(dir.path(), u64::MAX).unwrap().len(), 1);
}

#[test]
fn a_truncated_segment_is_detected_too() {
    let dir = tempfile::tempdir().unwrap();
    let mut spool = Spool::open(dir.path(), u64::MAX).unwrap();
    spool.append(&batch(1, 3)).unwrap();
    let path = spool.segment_path(0);
    let bytes = fs::read(&path).unwrap();
    fs::write(&path, &bytes[..bytes.len() - 10]).unwrap();
    assert!(spool.oldest().unwrap().is_none());
    assert!(spool.is_empty());
}

#[test]
fn an_interrupted_append_is_recovered_when_whole_and_deleted_when_torn() {
    let dir = tempfile::tempdir().unwrap();
    let whole = codec::encode(&batch(7, 2));
    fs::write(dir.path().join("00000000000000000003.seg.tmp"), &whole).unwrap();
    fs::write(dir.path().join("00000000000000000004.seg.tmp"), &whole[..whole.len() / 2]).unwrap();
    fs::create_dir(dir.path().join("rejected")).unwrap();
    let mut spool = Spool::open(dir.path(), u64::MAX).unwrap();
    assert_eq!(spool.len(), 1);
    assert!(!dir.path().join("00000000000000000004.seg.tmp").exists());
    spool.append(&batch(8, 1)).unwrap();
    assert!(dir.path().join("00000000000000000004.seg").exists(), "numbering continues after the recovered one");
    assert_eq!(spool.oldest().unwrap().unwrap().1, batch(7, 2));
}

#[test]
fn segment_names_parse_strictly() {
    assert_eq!(parse_segment_name("00000000000000000042.seg"), Some(42));
    for bad in ["42.seg", "00000000000000000042.seg.corrupt", "0000000000000000004x.seg", "rejected"] {
        assert_eq!(parse_segment_name(bad), None, "{bad}");
    }
}
