//! Building crash images of a [`SimVfs`]: which unsynced operations survive a simulated crash.

use super::{DirOp, FileOp, Inode, SECTOR, SimVfs, State, apply, apply_write};
use crate::util::SplitMix64;
use std::sync::{Arc, Mutex};

impl SimVfs {
    /// The disk a reboot would find after a crash now: durable state plus a seeded random choice,
    /// per unsynced operation, of dropped / applied / torn (see the module doc).
    pub fn crash_image(&self, seed: u64) -> SimVfs {
        let s = self.lock();
        let mut rng = SplitMix64::new(seed);
        let mut images: Vec<Vec<u8>> = Vec::with_capacity(s.inodes.len());
        for inode in &s.inodes {
            let mut img = inode.durable.clone();
            for op in &inode.pending {
                match rng.below(3) {
                    0 => {}
                    1 => apply(&mut img, op),
                    _ => match op {
                        FileOp::SetLen(_) => apply(&mut img, op),
                        FileOp::Write { offset, data } => tear(&mut img, *offset, data, &mut rng),
                    },
                }
            }
            images.push(img);
        }
        let mut names = s.durable_names.clone();
        for op in &s.dir_pending {
            if !rng.chance(1, 2) {
                continue;
            }
            match op {
                DirOp::Create { path, inode } => {
                    names.insert(path.clone(), *inode);
                }
                DirOp::Rename { from, to } => {
                    if let Some(ino) = names.remove(from) {
                        names.insert(to.clone(), ino);
                    }
                }
                DirOp::Remove { path } => {
                    names.remove(path);
                }
            }
        }
        let mut new = State {
            dirs: s.dirs.clone(),
            ..State::default()
        };
        for (path, ino) in names {
            let img = images[ino as usize].clone();
            let id = new.inodes.len() as u64;
            new.inodes.push(Inode {
                durable: img.clone(),
                volatile: img,
                ..Inode::default()
            });
            new.names.insert(path.clone(), id);
            new.durable_names.insert(path, id);
        }
        SimVfs {
            state: Arc::new(Mutex::new(new)),
        }
    }
}

/// Applies a torn version of a write: either a prefix of its sectors or a random subset.
fn tear(img: &mut Vec<u8>, offset: u64, data: &[u8], rng: &mut SplitMix64) {
    let sectors: Vec<(usize, &[u8])> = data
        .chunks(SECTOR)
        .enumerate()
        .map(|(i, c)| (i * SECTOR, c))
        .collect();
    if rng.chance(1, 2) {
        let keep = rng.below(sectors.len() as u64) as usize;
        for (start, chunk) in &sectors[..keep] {
            apply_write(img, offset + *start as u64, chunk);
        }
    } else {
        for (start, chunk) in &sectors {
            if rng.chance(1, 2) {
                apply_write(img, offset + *start as u64, chunk);
            }
        }
    }
}
