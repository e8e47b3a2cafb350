//! Testbeds: the part of a run's environment that decides whether two measurements may be
//! compared at all.
//!
//! A testbed is named by its fingerprint — CPU model, core count, total memory (in whole GiB,
//! so a few MiB the kernel reserves differently do not split a machine in two), kernel
//! release, file system of the work dir, rustc version — as a stable short id (the first 8
//! hex digits of the fingerprint's sha256) and a human label. Two environments are the same
//! testbed when no fingerprint field differs among the fields **both** recorded: records made
//! before memory, kernel and file system were captured lack them, so against those only the
//! CPU model, the core count and rustc decide ([`differences`]). The id, by contrast, hashes
//! what was recorded (a missing field as `-`), so such an old record has an id of its own
//! while still comparing equal to a new one on the same machine.

use serde::Serialize;

use crate::evidence::hash;
use crate::evidence::record::Environment;

/// Length of a testbed id in hex digits.
pub const ID_LEN: usize = 8;

/// A named testbed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Testbed {
    /// Short stable id: the first [`ID_LEN`] hex digits of the fingerprint's sha256.
    pub id: String,
    /// What it is, for people: `Intel(R) Xeon(R) Processor, 2 cores, 8 GiB, Linux 6.1.0, ext4,
    /// rustc 1.95.0`.
    pub label: String,
}

fn known(s: &str) -> Option<&str> {
    let s = s.trim();
    (!s.is_empty()).then_some(s)
}

/// Memory in whole GiB (rounded to nearest).
fn gib(mib: u64) -> u64 {
    (mib + 512) / 1024
}

/// The fingerprint fields, `(name, value)`, `None` where the environment does not say.
fn fields(env: &Environment) -> [(&'static str, Option<String>); 6] {
    [
        ("cpu", known(&env.cpu).map(str::to_string)),
        ("cores", Some(env.cores.to_string())),
        ("memory", env.memory_mib.map(|m| format!("{} GiB", gib(m)))),
        (
            "kernel",
            env.kernel.as_deref().and_then(known).map(str::to_string),
        ),
        (
            "filesystem",
            env.filesystem
                .as_deref()
                .and_then(known)
                .map(str::to_string),
        ),
        ("rustc", known(&env.rustc).map(str::to_string)),
    ]
}

/// The testbed of `env`.
pub fn testbed(env: &Environment) -> Testbed {
    let f = fields(env);
    let fingerprint: String = f
        .iter()
        .map(|(k, v)| format!("{k}={}\n", v.as_deref().unwrap_or("-")))
        .collect();
    let id = hash::bytes(fingerprint.as_bytes())
        .chars()
        .take(ID_LEN)
        .collect();
    let [cpu, cores, memory, kernel, fs, rustc] = f.map(|(_, v)| v);
    let mut label = vec![cpu.unwrap_or_else(|| "unknown CPU".into())];
    label.extend(cores.map(|c| format!("{c} cores")));
    label.extend(memory);
    label.extend(kernel.map(|k| format!("Linux {k}")));
    label.extend(fs);
    label.extend(rustc.map(|r| {
        // `rustc 1.95.0 (59807616e 2026-04-14)` → `rustc 1.95.0`
        r.split(" (").next().unwrap_or(&r).to_string()
    }));
    Testbed {
        id,
        label: label.join(", "),
    }
}

/// What differs between the testbeds of `from` and `to`, among the fields both recorded, as
/// `cpu Intel Xeon → AMD EPYC`; empty when they are the same testbed.
pub fn differences(from: &Environment, to: &Environment) -> Vec<String> {
    fields(from)
        .into_iter()
        .zip(fields(to))
        .filter_map(|((name, a), (_, b))| match (a, b) {
            (Some(a), Some(b)) if a != b => Some(format!("{name} {a} → {b}")),
            _ => None,
        })
        .collect()
}

/// The "not comparable" reason for `from` → `to`, or `None` when they are the same testbed.
pub fn not_comparable(from: &Environment, to: &Environment) -> Option<String> {
    let d = differences(from, to);
    (!d.is_empty()).then(|| format!("not comparable: environment changed ({})", d.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(cpu: &str) -> Environment {
        Environment {
            cpu: cpu.into(),
            cores: 2,
            rustc: "rustc 1.95.0 (59807616e 2026-04-14)".into(),
            memory_mib: Some(7851),
            kernel: Some("6.1.0-18-amd64".into()),
            filesystem: Some("ext4".into()),
            ..Environment::default()
        }
    }

    #[test]
    fn a_testbed_has_a_stable_id_and_a_label() {
        let t = testbed(&env("Intel(R) Xeon(R) Processor"));
        assert_eq!(t.id.len(), ID_LEN);
        assert_eq!(t, testbed(&env("Intel(R) Xeon(R) Processor")));
        assert_eq!(
            t.label,
            "Intel(R) Xeon(R) Processor, 2 cores, 8 GiB, Linux 6.1.0-18-amd64, ext4, rustc 1.95.0"
        );
        assert_ne!(t.id, testbed(&env("AMD EPYC 7B13")).id);
        // The commit and the dirty flag are not part of the testbed.
        let mut other = env("Intel(R) Xeon(R) Processor");
        other.git_commit = "f".repeat(40);
        other.dirty = true;
        assert_eq!(testbed(&other).id, t.id);
    }

    #[test]
    fn differences_name_each_changed_field() {
        let (a, mut b) = (env("Intel Xeon"), env("AMD EPYC"));
        b.filesystem = Some("xfs".into());
        assert_eq!(
            differences(&a, &b),
            ["cpu Intel Xeon → AMD EPYC", "filesystem ext4 → xfs"]
        );
        assert_eq!(
            not_comparable(&a, &b).as_deref(),
            Some(
                "not comparable: environment changed (cpu Intel Xeon → AMD EPYC, filesystem ext4 → xfs)"
            )
        );
        assert!(not_comparable(&a, &a).is_none());
        // A few MiB of memory do not make another testbed.
        let mut c = env("Intel Xeon");
        c.memory_mib = Some(7900);
        assert!(differences(&a, &c).is_empty());
    }

    #[test]
    fn old_records_compare_only_the_fields_both_have() {
        let new = env("Intel Xeon");
        let old = Environment {
            memory_mib: None,
            kernel: None,
            filesystem: None,
            ..new.clone()
        };
        assert!(differences(&old, &new).is_empty());
        assert_ne!(testbed(&old).id, testbed(&new).id);
        let old_amd = Environment {
            cpu: "AMD EPYC".into(),
            ..old
        };
        assert_eq!(differences(&old_amd, &new), ["cpu AMD EPYC → Intel Xeon"]);
    }
}
