//! The conditions a check ran under: load average, CPU frequency and governor, read when the
//! check starts and again when it ends (documented in `docs/formats/evidence-record.md`).
//!
//! Steps, per reading: `/proc/loadavg` (1, 5 and 15 minutes) → every core's
//! `/sys/devices/system/cpu/cpu*/cpufreq/scaling_cur_freq` (kHz), or else the `cpu MHz` lines
//! of `/proc/cpuinfo`, summarised as min / median / max MHz → the cores' distinct
//! `scaling_governor` values. Whatever the machine does not expose is recorded as absent
//! (`None`); reading conditions never fails a check.

use std::path::Path;

use serde::{Deserialize, Serialize};

/// The conditions at the start and at the end of one check.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conditions {
    /// Read just before the command was started.
    pub start: Reading,
    /// Read just after the command ended (and its outputs were read).
    pub end: Reading,
}

/// One reading of the machine's conditions; every part is absent where the machine does not
/// expose it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Reading {
    /// Load average from `/proc/loadavg`.
    pub load: Option<LoadAverage>,
    /// Current CPU frequency over the cores.
    pub cpu_mhz: Option<CpuMhz>,
    /// The cores' distinct `scaling_governor` values, sorted, joined by `,` (one value when all
    /// cores agree, e.g. `performance`).
    pub governor: Option<String>,
}

/// Runnable and waiting processes averaged over 1, 5 and 15 minutes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadAverage {
    /// Over 1 minute.
    pub one: f64,
    /// Over 5 minutes.
    pub five: f64,
    /// Over 15 minutes.
    pub fifteen: f64,
}

/// Current frequency over the cores, in MHz.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CpuMhz {
    /// Slowest core.
    pub min: f64,
    /// Median over the cores (the lower middle value for an even count).
    pub median: f64,
    /// Fastest core.
    pub max: f64,
    /// Cores read.
    pub cores: u32,
    /// Where the figures came from: `scaling_cur_freq` or `cpuinfo`.
    pub source: String,
}

/// Reads the conditions now, from the machine's own `/proc` and `/sys`.
pub fn read() -> Reading {
    read_under(Path::new("/"))
}

/// Reads the conditions from a tree laid out like `/` (`proc/loadavg`, `proc/cpuinfo`,
/// `sys/devices/system/cpu/cpuN/cpufreq/…`): the machine's own root, or a test's folder.
pub fn read_under(root: &Path) -> Reading {
    let text = |rel: &str| std::fs::read_to_string(root.join(rel)).ok();
    let cpu_dir = root.join("sys/devices/system/cpu");
    let mut freqs_khz = Vec::new();
    let mut governors = Vec::new();
    for core in cpu_cores(&cpu_dir) {
        let freq = core.join("cpufreq");
        if let Some(khz) = std::fs::read_to_string(freq.join("scaling_cur_freq"))
            .ok()
            .and_then(|t| t.trim().parse::<f64>().ok())
            .filter(|k| k.is_finite() && *k > 0.0)
        {
            freqs_khz.push(khz);
        }
        if let Ok(g) = std::fs::read_to_string(freq.join("scaling_governor")) {
            let g = g.trim().to_string();
            if !g.is_empty() && !governors.contains(&g) {
                governors.push(g);
            }
        }
    }
    let cpu_mhz = if freqs_khz.is_empty() {
        text("proc/cpuinfo")
            .map(|t| cpuinfo_mhz(&t))
            .and_then(|mhz| summarise(mhz, "cpuinfo"))
    } else {
        summarise(
            freqs_khz.iter().map(|k| k / 1000.0).collect(),
            "scaling_cur_freq",
        )
    };
    governors.sort();
    Reading {
        load: text("proc/loadavg").and_then(|t| parse_loadavg(&t)),
        cpu_mhz,
        governor: (!governors.is_empty()).then(|| governors.join(",")),
    }
}

/// The `cpuN` folders under `cpu_dir`, in core order.
fn cpu_cores(cpu_dir: &Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(cpu_dir) else {
        return Vec::new();
    };
    let mut cores: Vec<(u32, std::path::PathBuf)> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let n = name.strip_prefix("cpu")?.parse::<u32>().ok()?;
            Some((n, e.path()))
        })
        .collect();
    cores.sort_by_key(|(n, _)| *n);
    cores.into_iter().map(|(_, p)| p).collect()
}

/// The three load averages of a `/proc/loadavg` line (`0.52 0.58 0.59 1/467 12345`).
pub fn parse_loadavg(text: &str) -> Option<LoadAverage> {
    let mut it = text.split_whitespace().map(|w| w.parse::<f64>().ok());
    let (one, five, fifteen) = (it.next()??, it.next()??, it.next()??);
    [one, five, fifteen]
        .iter()
        .all(|v| v.is_finite() && *v >= 0.0)
        .then_some(LoadAverage { one, five, fifteen })
}

/// Every core's `cpu MHz` value in a `/proc/cpuinfo` text.
pub fn cpuinfo_mhz(text: &str) -> Vec<f64> {
    text.lines()
        .filter_map(|l| l.split_once(':'))
        .filter(|(k, _)| k.trim() == "cpu MHz")
        .filter_map(|(_, v)| v.trim().parse::<f64>().ok())
        .filter(|v| v.is_finite() && *v > 0.0)
        .collect()
}

fn summarise(mut mhz: Vec<f64>, source: &str) -> Option<CpuMhz> {
    mhz.sort_by(f64::total_cmp);
    let round = |v: f64| (v * 10.0).round() / 10.0;
    Some(CpuMhz {
        min: round(*mhz.first()?),
        median: round(*mhz.get((mhz.len() - 1) / 2)?),
        max: round(*mhz.last()?),
        cores: mhz.len() as u32,
        source: source.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, rel: &str, text: &str) {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }

    #[test]
    fn reads_load_frequency_and_governor_from_sys() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        write(root, "proc/loadavg", "1.50 0.75 0.25 2/300 4242\n");
        write(root, "proc/cpuinfo", "cpu MHz\t\t: 999.0\n");
        for (core, khz, gov) in [
            (0, "2400000", "performance"),
            (1, "1200000", "powersave"),
            (10, "3000000", "performance"),
        ] {
            let base = format!("sys/devices/system/cpu/cpu{core}/cpufreq");
            write(root, &format!("{base}/scaling_cur_freq"), khz);
            write(
                root,
                &format!("{base}/scaling_governor"),
                &format!("{gov}\n"),
            );
        }
        write(root, "sys/devices/system/cpu/cpufreq/policy0", "");
        let r = read_under(root);
        assert_eq!(
            r.load,
            Some(LoadAverage {
                one: 1.5,
                five: 0.75,
                fifteen: 0.25
            })
        );
        let mhz = r.cpu_mhz.expect("frequency");
        assert_eq!((mhz.min, mhz.median, mhz.max), (1200.0, 2400.0, 3000.0));
        assert_eq!((mhz.cores, mhz.source.as_str()), (3, "scaling_cur_freq"));
        assert_eq!(r.governor.as_deref(), Some("performance,powersave"));
    }

    #[test]
    fn falls_back_to_cpuinfo_and_records_what_is_missing_as_absent() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        write(
            root,
            "proc/cpuinfo",
            "processor\t: 0\ncpu MHz\t\t: 2100.500\n\nprocessor\t: 1\ncpu MHz\t\t: 2000.04\n",
        );
        write(root, "proc/loadavg", "garbage\n");
        let r = read_under(root);
        assert_eq!(r.load, None);
        assert_eq!(r.governor, None);
        let mhz = r.cpu_mhz.expect("cpuinfo");
        assert_eq!((mhz.min, mhz.median, mhz.max), (2000.0, 2000.0, 2100.5));
        assert_eq!(mhz.source, "cpuinfo");
        let empty = tempfile::tempdir().expect("tempdir");
        assert_eq!(read_under(empty.path()), Reading::default());
    }

    #[test]
    fn the_machine_s_own_reading_never_fails() {
        let r = read();
        if let Some(l) = r.load {
            assert!(l.one >= 0.0);
        }
    }
}
