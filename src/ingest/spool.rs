//! A bounded, ordered, crash-safe on-disk spool of reading batches, where the writer keeps
//! readings while PostgreSQL is unreachable and from which it replays them, oldest first.
//!
//! The spool is a directory of segment files, one per batch, named by a zero-padded sequence
//! number (`00000000000000000042.seg`) so name order is arrival order. Every append writes a
//! temporary file, fsyncs it, renames it into place and fsyncs the directory: a segment either
//! exists whole or not at all, and once [`Spool::append`] returns it survives a crash or power
//! loss. Each segment carries a checksum (see [`codec`]); one that fails its checks on reading
//! is renamed to `*.corrupt` and logged, never silently dropped and never a crash.
//!
//! Reopening a directory resumes with the segments found there, so a poller restarted after a
//! crash replays them. The API is synchronous file I/O: async callers run it on the blocking
//! pool.

pub mod codec;

use std::collections::BTreeMap;
use std::fmt;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::domain::Reading;

/// Identifies one segment; larger ids are newer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SegmentId(pub u64);

impl fmt::Display for SegmentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:020}", self.0)
    }
}

/// Why a spool operation failed.
#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    /// Appending would exceed the size limit. Nothing was written; retry once older segments
    /// have been replayed and removed.
    #[error("spool full: {used} of {max} bytes used, the batch needs {needed}")]
    Full { used: u64, max: u64, needed: u64 },
    /// The file system failed; the message names the file.
    #[error("spool I/O error on {}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> SpoolError + '_ {
    move |source| SpoolError::Io { path: path.to_path_buf(), source }
}

const SEGMENT_EXT: &str = "seg";
const TEMP_SUFFIX: &str = ".tmp";
const CORRUPT_SUFFIX: &str = ".corrupt";

/// An open spool directory. One process at a time may own a directory.
#[derive(Debug)]
pub struct Spool {
    dir: PathBuf,
    max_bytes: u64,
    /// Segment sequence number -> file size, oldest first.
    segments: BTreeMap<u64, u64>,
    bytes: u64,
    next_seq: u64,
}

impl Spool {
    /// Opens (creating if needed) the spool in `dir`, holding at most `max_bytes` of segments.
    /// Finds the segments a previous process left. A temporary file left by a crash mid-append
    /// is kept if it checks out (it was complete, only the rename was missed) and deleted if not.
    pub fn open(dir: impl Into<PathBuf>, max_bytes: u64) -> Result<Spool, SpoolError> {
        let dir = dir.into();
        fs::create_dir_all(&dir).map_err(io_err(&dir))?;
        let mut spool = Spool { dir, max_bytes, segments: BTreeMap::new(), bytes: 0, next_seq: 0 };
        let mut temps = Vec::new();
        for entry in fs::read_dir(&spool.dir).map_err(io_err(&spool.dir))? {
            let entry = entry.map_err(io_err(&spool.dir))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(seq) = name.strip_suffix(TEMP_SUFFIX).and_then(parse_segment_name) {
                temps.push((seq, entry.path()));
            } else if let Some(seq) = parse_segment_name(&name) {
                let size = entry.metadata().map_err(io_err(&entry.path()))?.len();
                spool.segments.insert(seq, size);
                spool.bytes += size;
            }
        }
        for (seq, path) in temps {
            spool.recover_temp(seq, &path)?;
        }
        spool.next_seq = spool.segments.keys().next_back().map_or(0, |s| s + 1);
        if !spool.segments.is_empty() {
            tracing::info!(dir = %spool.dir.display(), segments = spool.len(), bytes = spool.bytes, "spool has readings to replay");
        }
        Ok(spool)
    }

    fn recover_temp(&mut self, seq: u64, path: &Path) -> Result<(), SpoolError> {
        let bytes = fs::read(path).map_err(io_err(path))?;
        match codec::decode(&bytes) {
            Ok(_) if !self.segments.contains_key(&seq) => {
                fs::rename(path, self.segment_path(seq)).map_err(io_err(path))?;
                self.segments.insert(seq, bytes.len() as u64);
                self.bytes += bytes.len() as u64;
                tracing::warn!(segment = seq, "recovered a spool segment whose append was interrupted");
            }
            result => {
                tracing::warn!(file = %path.display(), problem = ?result.err(), "deleting an incomplete spool write");
                fs::remove_file(path).map_err(io_err(path))?;
            }
        }
        Ok(())
    }

    fn segment_path(&self, seq: u64) -> PathBuf {
        self.dir.join(format!("{:020}.{SEGMENT_EXT}", seq))
    }

    /// Appends a batch as a new segment, durably. Fails with [`SpoolError::Full`] (writing
    /// nothing) when the segment would take the spool past its size limit.
    pub fn append(&mut self, readings: &[Reading]) -> Result<(), SpoolError> {
        self.append_inner(readings, false)
    }

    /// Appends a batch even past the size limit. For shutdown only, when the alternative is
    /// losing readings that are still in memory; the overshoot is bounded by what the writer
    /// holds (one batch plus its channel).
    pub fn append_over_limit(&mut self, readings: &[Reading]) -> Result<(), SpoolError> {
        self.append_inner(readings, true)
    }

    fn append_inner(&mut self, readings: &[Reading], over_limit: bool) -> Result<(), SpoolError> {
        if readings.is_empty() {
            return Ok(());
        }
        let data = codec::encode(readings);
        let needed = data.len() as u64;
        if !over_limit && self.bytes + needed > self.max_bytes {
            return Err(SpoolError::Full { used: self.bytes, max: self.max_bytes, needed });
        }
        let seq = self.next_seq;
        let path = self.segment_path(seq);
        let temp = PathBuf::from(format!("{}{TEMP_SUFFIX}", path.display()));
        let write = || -> io::Result<()> {
            let mut f = File::create(&temp)?;
            f.write_all(&data)?;
            f.sync_all()?;
            fs::rename(&temp, &path)?;
            // The rename is durable only once the directory entry is.
            File::open(&self.dir)?.sync_all()
        };
        if let Err(e) = write() {
            let _ = fs::remove_file(&temp);
            return Err(SpoolError::Io { path, source: e });
        }
        self.next_seq += 1;
        self.segments.insert(seq, needed);
        self.bytes += needed;
        Ok(())
    }

    /// The oldest intact segment and its readings, or `None` when the spool is empty.
    /// Segments that fail their checks on the way are moved aside as `*.corrupt` and logged.
    pub fn oldest(&mut self) -> Result<Option<(SegmentId, Vec<Reading>)>, SpoolError> {
        while let Some((&seq, _)) = self.segments.first_key_value() {
            let path = self.segment_path(seq);
            let bytes = match fs::read(&path) {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    tracing::warn!(file = %path.display(), "spool segment vanished; skipping it");
                    self.forget(seq);
                    continue;
                }
                Err(e) => return Err(SpoolError::Io { path, source: e }),
            };
            match codec::decode(&bytes) {
                Ok(readings) => return Ok(Some((SegmentId(seq), readings))),
                Err(problem) => {
                    let aside = PathBuf::from(format!("{}{CORRUPT_SUFFIX}", path.display()));
                    tracing::error!(file = %path.display(), moved_to = %aside.display(), %problem,
                        "corrupt spool segment set aside; its readings are not replayed");
                    fs::rename(&path, &aside).map_err(io_err(&path))?;
                    self.forget(seq);
                }
            }
        }
        Ok(None)
    }

    /// Deletes a segment once its readings are safely elsewhere.
    pub fn remove(&mut self, id: SegmentId) -> Result<(), SpoolError> {
        let path = self.segment_path(id.0);
        match fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(SpoolError::Io { path, source: e }),
        }
        self.forget(id.0);
        Ok(())
    }

    fn forget(&mut self, seq: u64) {
        if let Some(size) = self.segments.remove(&seq) {
            self.bytes -= size;
        }
    }

    /// Number of segments waiting.
    pub fn len(&self) -> usize {
        self.segments.len()
    }

    /// True when nothing waits to be replayed.
    pub fn is_empty(&self) -> bool {
        self.segments.is_empty()
    }

    /// Total size of the waiting segments, bytes.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The size limit, bytes.
    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    /// The spool directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// `00000000000000000042.seg` -> 42; anything else (other files, `.corrupt`) -> None.
fn parse_segment_name(name: &str) -> Option<u64> {
    let stem = name.strip_suffix(SEGMENT_EXT)?.strip_suffix('.')?;
    (stem.len() == 20 && stem.bytes().all(|b| b.is_ascii_digit())).then(|| stem.parse().ok())?
}

#[cfg(test)]
mod tests;
