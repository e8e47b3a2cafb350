//! Capturing the environment a run happens in: git commit and dirty flag (git2), rustc
//! version, Cargo.lock sha256, OS, CPU model and core count, total memory, kernel release and
//! the file system of the work dir. The last six with rustc name the run's testbed
//! ([`crate::evidence::testbed`]).

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result};

use crate::evidence::hash;
use crate::evidence::record::Environment;

/// The current commit of the repository containing `root`, and whether the work tree differs
/// from it (untracked files count; ignored files do not) anywhere but under `outputs`: the
/// folders sitegen itself writes (the evidence ledger, the site), absolute or relative to
/// `root`, which describe the tree rather than belong to it — so a run appended a moment ago
/// does not make the next measurement of the same tree "dirty".
pub fn git_state(root: &Path, outputs: &[&Path]) -> Result<(String, bool)> {
    let repo = git2::Repository::discover(root)
        .with_context(|| format!("{}: not inside a git repository", root.display()))?;
    let head = repo
        .head()
        .and_then(|h| h.peel_to_commit())
        .with_context(|| format!("{}: the repository has no commit at HEAD", root.display()))?;
    let dirty = crate::util::git::dirty_outside(&repo, root, outputs)?;
    Ok((head.id().to_string(), dirty))
}

fn first_line_of_command(root: &Path, program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .current_dir(root)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.lines().next().map(|l| l.trim().to_string()))
        .unwrap_or_default()
}

fn os_description() -> String {
    let pretty = std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("PRETTY_NAME="))
                .map(|v| v.trim_matches('"').to_string())
        });
    match pretty {
        Some(p) => format!("{} ({p})", std::env::consts::OS),
        None => std::env::consts::OS.to_string(),
    }
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string())
}

/// `MemTotal` of a `/proc/meminfo` text, in MiB.
pub fn parse_meminfo(text: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let mut parts = line.split_whitespace().skip(1);
    let kib: u64 = parts.next()?.parse().ok()?;
    match parts.next() {
        Some("kB") | None => Some(kib / 1024),
        Some(_) => None,
    }
}

/// The file system type of `path` from a `/proc/mounts` text: the mount point that is the
/// longest (component-wise) prefix of `path`. Mount points with spaces are octal-escaped in
/// `/proc/mounts` (`\040`); they are unescaped before comparing.
pub fn filesystem_of(mounts: &str, path: &Path) -> Option<String> {
    let unescape = |s: &str| s.replace("\\040", " ").replace("\\011", "\t");
    mounts
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let (_dev, point, fs) = (f.next()?, f.next()?, f.next()?);
            let point = unescape(point);
            path.starts_with(Path::new(&point))
                .then(|| (Path::new(&point).components().count(), fs.to_string()))
        })
        // A later mount over the same point hides the earlier one: keep the last of the longest.
        .fold(
            None,
            |best: Option<(usize, String)>, (len, fs)| match best {
                Some((b, _)) if b > len => best,
                _ => Some((len, fs)),
            },
        )
        .map(|(_, fs)| fs)
}

fn memory_mib() -> Option<u64> {
    parse_meminfo(&std::fs::read_to_string("/proc/meminfo").ok()?)
}

fn kernel_release() -> Option<String> {
    let k = std::fs::read_to_string("/proc/sys/kernel/osrelease").ok()?;
    let k = k.trim();
    (!k.is_empty()).then(|| k.to_string())
}

fn filesystem(root: &Path) -> Option<String> {
    let root = root.canonicalize().ok()?;
    filesystem_of(&std::fs::read_to_string("/proc/mounts").ok()?, &root)
}

/// Captures the environment of the repository at `root`; changes under `outputs` (see
/// [`git_state`]) do not make it dirty.
pub fn capture(root: &Path, outputs: &[&Path]) -> Result<Environment> {
    let (git_commit, dirty) = git_state(root, outputs)?;
    let lock = root.join("Cargo.lock");
    let cargo_lock_sha256 = if lock.exists() {
        Some(hash::file(&lock)?.0)
    } else {
        None
    };
    Ok(Environment {
        git_commit,
        dirty,
        rustc: first_line_of_command(root, "rustc", &["--version"]),
        cargo_lock_sha256,
        os: os_description(),
        cpu: cpu_model(),
        cores: std::thread::available_parallelism()
            .map(|n| n.get() as u32)
            .unwrap_or(1),
        memory_mib: memory_mib(),
        kernel: kernel_release(),
        filesystem: filesystem(root),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_is_memtotal_in_mib() {
        let text = "MemTotal:        8039480 kB\nMemFree:  100 kB\n";
        assert_eq!(parse_meminfo(text), Some(7851));
        assert_eq!(parse_meminfo("MemFree: 1 kB\n"), None);
        assert_eq!(parse_meminfo("MemTotal: lots kB\n"), None);
    }

    #[test]
    fn filesystem_is_the_longest_mount_prefix() {
        let mounts = "overlay / overlay rw 0 0\n\
                      /dev/sda1 /work ext4 rw 0 0\n\
                      tmpfs /work/tmp tmpfs rw 0 0\n\
                      /dev/sdb1 /work/my\\040dir xfs rw 0 0\n";
        let fs = |p: &str| filesystem_of(mounts, Path::new(p));
        assert_eq!(fs("/work/main").as_deref(), Some("ext4"));
        assert_eq!(fs("/work/tmp/x").as_deref(), Some("tmpfs"));
        // A prefix by characters is not a prefix by components.
        assert_eq!(fs("/work/tmpx").as_deref(), Some("ext4"));
        assert_eq!(fs("/etc").as_deref(), Some("overlay"));
        assert_eq!(fs("/work/my dir/a").as_deref(), Some("xfs"));
        // Mounted over: the later line wins.
        let over = "a / ext4 rw 0 0\nb / btrfs rw 0 0\n";
        assert_eq!(
            filesystem_of(over, Path::new("/x")).as_deref(),
            Some("btrfs")
        );
    }
}
