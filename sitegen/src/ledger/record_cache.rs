//! Parsed evidence records, kept between site builds in a compact binary file so that a build
//! after one new run parses one run's JSON, not the whole ledger's (at 1,000 runs × 40 metrics
//! with 20 samples each, parsing the JSON is most of the evidence phase).
//!
//! An entry is keyed by the sha256 of the record file it was parsed from, and is used only for
//! a file whose hash the build knows without reading it ([`HashCache::known`]: its `stat` is
//! unchanged since it was hashed) and equals the sha256 its run's manifest names — so a cached
//! record is exactly the parse of the bytes the ledger vouches for. Records were validated
//! (format version, finite numbers, bounded samples) when first parsed.
//!
//! Format of `site/.cache/records.bin` (all integers little-endian):
//! ```text
//! "SGRC" u32 version  u32 count  count × ( [u8; 32] sha256  record )  [u8; 32] sha256 of all before
//! ```
//! A record is its fields in declaration order: strings as u32 length + UTF-8, vectors as u32
//! count + items, options as a 0/1 byte + value, enums as one byte. Decoding checks every
//! length against the bytes left and never trusts the file: a bad trailer, version or any
//! malformed entry makes the whole file an empty cache. The file is rewritten (temporary file +
//! rename), from the records the build loaded, only when that set changed.
//!
//! [`HashCache::known`]: crate::hash_cache::HashCache::known

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use sha2::{Digest, Sha256};

use crate::ledger::load::Run;
use crate::metrics::{Direction, Metric};
use crate::record::{Artifact, Captured, Environment, EvidenceRecord, Status};

const MAGIC: &[u8; 4] = b"SGRC";
const VERSION: u32 = 1;

/// Parsed records by the sha256 (raw bytes) of their file, shared between threads.
#[derive(Debug)]
pub struct RecordCache {
    file: PathBuf,
    /// Records read from the file and not yet taken.
    loaded: Mutex<HashMap<[u8; 32], EvidenceRecord>>,
    /// Whether a record was parsed from JSON this build (the file lacks it).
    parsed: AtomicBool,
}

impl RecordCache {
    /// The cache stored in `file` (empty when missing or invalid).
    pub fn open(file: &Path) -> RecordCache {
        let loaded = std::fs::read(file)
            .ok()
            .and_then(|b| decode_file(&b))
            .unwrap_or_default();
        RecordCache {
            file: file.to_path_buf(),
            loaded: Mutex::new(loaded),
            parsed: AtomicBool::new(false),
        }
    }

    /// Takes the record parsed from a file whose sha256 is `sha256_hex`, if cached.
    pub fn take(&self, sha256_hex: &str) -> Option<EvidenceRecord> {
        let key = parse_hex(sha256_hex)?;
        self.loaded.lock().ok()?.remove(&key)
    }

    /// Notes that a record had to be parsed from its JSON (so [`RecordCache::save`] writes).
    pub fn note_parsed(&self) {
        self.parsed.store(true, Ordering::Relaxed);
    }

    /// Writes the records of `runs` when they differ from the file's: a record was parsed this
    /// build, or one the file holds was not used. Failing to write is not an error (the next
    /// build parses again).
    pub fn save(&self, runs: &[Run]) {
        let unused = self.loaded.lock().map(|l| !l.is_empty()).unwrap_or(true);
        if !self.parsed.load(Ordering::Relaxed) && !unused {
            return;
        }
        let mut records: Vec<([u8; 32], &EvidenceRecord)> = runs
            .iter()
            .flat_map(|r| &r.records)
            .filter_map(|r| Some((parse_hex(&r.sha256)?, &r.record)))
            .collect();
        records.sort_by_key(|r| r.0);
        records.dedup_by(|a, b| a.0 == b.0);
        let bytes = encode_file(&records);
        let tmp = self
            .file
            .with_extension(format!("tmp-{}", std::process::id()));
        if let Some(parent) = self.file.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        if std::fs::write(&tmp, bytes).is_err() || std::fs::rename(&tmp, &self.file).is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
    }
}

fn parse_hex(hex: &str) -> Option<[u8; 32]> {
    if hex.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

fn encode_file(records: &[([u8; 32], &EvidenceRecord)]) -> Vec<u8> {
    let mut e = Enc(Vec::with_capacity(records.len() * 8192));
    e.0.extend_from_slice(MAGIC);
    e.u32(VERSION);
    e.u32(records.len() as u32);
    for (key, record) in records {
        e.0.extend_from_slice(key);
        e.record(record);
    }
    let digest = Sha256::digest(&e.0);
    e.0.extend_from_slice(&digest);
    e.0
}

fn decode_file(bytes: &[u8]) -> Option<HashMap<[u8; 32], EvidenceRecord>> {
    let body_len = bytes.len().checked_sub(32)?;
    let (body, trailer) = bytes.split_at(body_len);
    if Sha256::digest(body).as_slice() != trailer {
        return None;
    }
    let mut d = Dec { buf: body, pos: 0 };
    if d.take(4)? != MAGIC || d.u32()? != VERSION {
        return None;
    }
    let count = d.u32()? as usize;
    // Each entry takes at least its 32-byte key: a count beyond that is a lie.
    if count > body.len() / 32 {
        return None;
    }
    let mut out = HashMap::with_capacity(count);
    for _ in 0..count {
        let key: [u8; 32] = d.take(32)?.try_into().ok()?;
        out.insert(key, d.record()?);
    }
    (d.pos == body.len()).then_some(out)
}

struct Enc(Vec<u8>);

impl Enc {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn f64(&mut self, v: f64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn str(&mut self, s: &str) {
        self.u32(s.len() as u32);
        self.0.extend_from_slice(s.as_bytes());
    }
    fn opt<T>(&mut self, v: Option<T>, f: impl FnOnce(&mut Self, T)) {
        match v {
            None => self.u8(0),
            Some(x) => {
                self.u8(1);
                f(self, x);
            }
        }
    }
    fn captured(&mut self, c: &Captured) {
        self.str(&c.text);
        self.u64(c.bytes);
        self.u8(u8::from(c.truncated));
        self.str(&c.sha256);
    }
    fn record(&mut self, r: &EvidenceRecord) {
        self.u32(r.format_version);
        self.str(&r.check_id);
        self.opt(r.phase, Self::u32);
        self.u8(match r.status {
            Status::Pass => 0,
            Status::Fail => 1,
            Status::Error => 2,
            Status::Timeout => 3,
        });
        self.u32(r.command.len() as u32);
        for c in &r.command {
            self.str(c);
        }
        self.str(&r.workdir);
        self.str(&r.started_at);
        self.u64(r.duration_ms);
        self.opt(r.exit_code, |e, v| e.u32(v as u32));
        self.opt(r.message.as_deref(), Self::str);
        self.u32(r.metrics.len() as u32);
        for m in &r.metrics {
            self.str(&m.name);
            self.f64(m.value);
            self.str(&m.unit);
            self.u8(match m.direction {
                Direction::HigherIsBetter => 0,
                Direction::LowerIsBetter => 1,
            });
            self.u32(m.samples.len() as u32);
            for s in &m.samples {
                self.f64(*s);
            }
            self.opt(m.ci_lower, Self::f64);
            self.opt(m.ci_upper, Self::f64);
        }
        self.u32(r.artifacts.len() as u32);
        for a in &r.artifacts {
            self.str(&a.path);
            self.u64(a.size);
            self.str(&a.sha256);
        }
        self.captured(&r.stdout);
        self.captured(&r.stderr);
        let env = &r.environment;
        self.str(&env.git_commit);
        self.u8(u8::from(env.dirty));
        self.str(&env.rustc);
        self.opt(env.cargo_lock_sha256.as_deref(), Self::str);
        self.str(&env.os);
        self.str(&env.cpu);
        self.u32(env.cores);
    }
}

struct Dec<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Dec<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let out = self.buf.get(self.pos..end)?;
        self.pos = end;
        Some(out)
    }
    fn u8(&mut self) -> Option<u8> {
        Some(*self.take(1)?.first()?)
    }
    fn bool(&mut self) -> Option<bool> {
        match self.u8()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn f64(&mut self) -> Option<f64> {
        Some(f64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn str(&mut self) -> Option<String> {
        let len = self.u32()? as usize;
        String::from_utf8(self.take(len)?.to_vec()).ok()
    }
    /// A count of items each at least `min_size` bytes long, bounded by the bytes left.
    fn count(&mut self, min_size: usize) -> Option<usize> {
        let n = self.u32()? as usize;
        (n.checked_mul(min_size)? <= self.buf.len() - self.pos).then_some(n)
    }
    fn opt<T>(&mut self, f: impl FnOnce(&mut Self) -> Option<T>) -> Option<Option<T>> {
        match self.u8()? {
            0 => Some(None),
            1 => Some(Some(f(self)?)),
            _ => None,
        }
    }
    fn captured(&mut self) -> Option<Captured> {
        Some(Captured {
            text: self.str()?,
            bytes: self.u64()?,
            truncated: self.bool()?,
            sha256: self.str()?,
        })
    }
    fn record(&mut self) -> Option<EvidenceRecord> {
        let format_version = self.u32()?;
        let check_id = self.str()?;
        let phase = self.opt(Self::u32)?;
        let status = match self.u8()? {
            0 => Status::Pass,
            1 => Status::Fail,
            2 => Status::Error,
            3 => Status::Timeout,
            _ => return None,
        };
        let n = self.count(4)?;
        let command = (0..n).map(|_| self.str()).collect::<Option<Vec<_>>>()?;
        let workdir = self.str()?;
        let started_at = self.str()?;
        let duration_ms = self.u64()?;
        let exit_code = self.opt(|d| d.u32().map(|v| v as i32))?;
        let message = self.opt(Self::str)?;
        let n = self.count(23)?;
        let mut metrics = Vec::with_capacity(n);
        for _ in 0..n {
            let name = self.str()?;
            let value = self.f64()?;
            let unit = self.str()?;
            let direction = match self.u8()? {
                0 => Direction::HigherIsBetter,
                1 => Direction::LowerIsBetter,
                _ => return None,
            };
            let k = self.count(8)?;
            let samples = (0..k).map(|_| self.f64()).collect::<Option<Vec<_>>>()?;
            metrics.push(Metric {
                name,
                value,
                unit,
                direction,
                samples,
                ci_lower: self.opt(Self::f64)?,
                ci_upper: self.opt(Self::f64)?,
            });
        }
        let n = self.count(16)?;
        let artifacts = (0..n)
            .map(|_| {
                Some(Artifact {
                    path: self.str()?,
                    size: self.u64()?,
                    sha256: self.str()?,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        Some(EvidenceRecord {
            format_version,
            check_id,
            phase,
            status,
            command,
            workdir,
            started_at,
            duration_ms,
            exit_code,
            message,
            metrics,
            artifacts,
            stdout: self.captured()?,
            stderr: self.captured()?,
            environment: Environment {
                git_commit: self.str()?,
                dirty: self.bool()?,
                rustc: self.str()?,
                cargo_lock_sha256: self.opt(Self::str)?,
                os: self.str()?,
                cpu: self.str()?,
                cores: self.u32()?,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(seed: u64) -> EvidenceRecord {
        let mut m = Metric::new(
            format!("m.{seed}"),
            1.5 * seed as f64,
            "ms",
            Direction::LowerIsBetter,
        );
        m.samples = (0..seed).map(|i| i as f64 * 0.25).collect();
        m.ci_lower = Some(-0.0);
        m.ci_upper = seed.is_multiple_of(2).then_some(f64::MAX);
        EvidenceRecord {
            format_version: 1,
            check_id: format!("check-{seed}"),
            phase: seed.is_multiple_of(3).then_some(seed as u32),
            status: [Status::Pass, Status::Fail, Status::Error, Status::Timeout][seed as usize % 4],
            command: vec!["cargo".into(), "tést ✓".into()],
            workdir: ".".into(),
            started_at: "2026-11-26T00:00:00Z".into(),
            duration_ms: seed * 1000,
            exit_code: (seed % 2 == 1).then_some(-((seed as i32) + 1)),
            message: seed.is_multiple_of(2).then(|| "<script>".to_string()),
            metrics: vec![m, Metric::new("plain", 0.0, "", Direction::HigherIsBetter)],
            artifacts: vec![Artifact {
                path: "target/x".into(),
                size: seed,
                sha256: "ab".repeat(32),
            }],
            stdout: Captured {
                text: "out\nlines".into(),
                bytes: 9,
                truncated: seed.is_multiple_of(2),
                sha256: "cd".repeat(32),
            },
            stderr: Captured::default(),
            environment: Environment {
                git_commit: "abc".into(),
                dirty: seed % 2 == 1,
                rustc: "rustc 1.95".into(),
                cargo_lock_sha256: seed.is_multiple_of(2).then(|| "ef".repeat(32)),
                os: "linux".into(),
                cpu: "cpu".into(),
                cores: 2,
            },
        }
    }

    fn key(i: u8) -> [u8; 32] {
        [i; 32]
    }

    fn entries(keys: std::ops::Range<u8>) -> Vec<([u8; 32], EvidenceRecord)> {
        keys.map(|i| (key(i), record(u64::from(i)))).collect()
    }

    fn refs(e: &[([u8; 32], EvidenceRecord)]) -> Vec<([u8; 32], &EvidenceRecord)> {
        e.iter().map(|(k, r)| (*k, r)).collect()
    }

    #[test]
    fn records_round_trip_through_the_file() {
        let records = entries(0..6);
        let bytes = encode_file(&refs(&records));
        assert_eq!(
            decode_file(&bytes),
            Some(records.into_iter().collect::<HashMap<_, _>>())
        );
    }

    #[test]
    fn any_damage_is_an_empty_cache_never_a_panic() {
        let records = entries(1..3);
        let bytes = encode_file(&refs(&records));
        for cut in 0..bytes.len() {
            assert_eq!(decode_file(&bytes[..cut]), None, "truncated at {cut}");
        }
        for at in (0..bytes.len()).step_by(7) {
            let mut bad = bytes.clone();
            bad[at] ^= 0x40;
            assert_eq!(decode_file(&bad), None, "byte {at} flipped");
        }
        // A well-formed trailer over a malformed body: bounds are still checked.
        let mut body = MAGIC.to_vec();
        body.extend_from_slice(&VERSION.to_le_bytes());
        body.extend_from_slice(&u32::MAX.to_le_bytes());
        let digest = Sha256::digest(&body);
        body.extend_from_slice(&digest);
        assert_eq!(decode_file(&body), None);
    }

    fn run(records: &[([u8; 32], EvidenceRecord)]) -> Run {
        Run {
            id: "r".into(),
            dir: PathBuf::from("r"),
            info: serde_json::from_value(serde_json::json!({
                "format_version": 1, "run_id": "r", "kind": "checks",
                "started_at": "", "finished_at": "",
                "environment": {"git_commit": "", "dirty": false, "rustc": "",
                                "cargo_lock_sha256": null, "os": "", "cpu": "", "cores": 1}
            }))
            .expect("run info"),
            manifest: crate::ledger::Manifest {
                format_version: 1,
                run_id: "r".into(),
                previous: None,
                files: Default::default(),
            },
            manifest_sha256: String::new(),
            records: records
                .iter()
                .map(|(k, r)| crate::ledger::load::LoadedRecord {
                    record: r.clone(),
                    path: String::new(),
                    sha256: crate::hash::hex(k),
                })
                .collect(),
        }
    }

    #[test]
    fn saves_what_the_build_loaded_and_only_when_it_changed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("records.bin");
        let hex = |i: u8| crate::hash::hex(&key(i));
        let both = entries(1..3);
        let c = RecordCache::open(&file);
        assert!(c.take(&hex(1)).is_none());
        c.note_parsed();
        c.save(&[run(&both)]);

        let c = RecordCache::open(&file);
        assert_eq!(c.take(&hex(1)), Some(record(1)));
        assert_eq!(c.take(&hex(1)), None, "taken once");
        assert!(c.take("not hex").is_none());
        // Record 2 was not used: the file is rewritten with record 1 only.
        c.save(&[run(&both[..1])]);
        let c = RecordCache::open(&file);
        assert!(c.take(&hex(2)).is_none());
        assert_eq!(c.take(&hex(1)), Some(record(1)));
        // Nothing parsed, nothing left over: the file is left as it is.
        std::fs::write(&file, b"sentinel").expect("writes");
        c.save(&[run(&both[..1])]);
        assert_eq!(std::fs::read(&file).expect("file"), b"sentinel");
    }
}
