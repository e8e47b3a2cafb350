//! Metric areas: which part of the system a metric measures, from its name's dotted prefix
//! ([`AREAS`], the one documented mapping; `docs/publishing.md`, "Metrics index"). A metric
//! whose name matches no prefix falls in [`OTHER`].

/// An area of the system that metrics measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Area {
    /// Stable identifier, used in anchors (`#area-<id>`).
    pub id: &'static str,
    /// Heading shown on the metrics index.
    pub title: &'static str,
    /// Metric name prefixes (each ends at a `.`) that belong to the area.
    pub prefixes: &'static [&'static str],
}

/// Every area, in the order the metrics index shows them. A name belongs to the area with the
/// longest matching prefix, so `engine-tests.` is Tests even though `engine` is storage.
pub const AREAS: &[Area] = &[
    Area {
        id: "storage",
        title: "Engine storage and commit",
        prefixes: &["engine.", "page_cache."],
    },
    Area {
        id: "integrity",
        title: "Integrity",
        prefixes: &["integrity."],
    },
    Area {
        id: "recovery",
        title: "Crash recovery",
        prefixes: &["recovery."],
    },
    Area {
        id: "transactions",
        title: "Transactions",
        prefixes: &["txn."],
    },
    Area {
        id: "backup",
        title: "Backup and restore",
        prefixes: &["backup.", "backup_target."],
    },
    Area {
        id: "oltp",
        title: "OLTP workload",
        prefixes: &["oltp."],
    },
    Area {
        id: "olap",
        title: "OLAP workload",
        prefixes: &["olap."],
    },
    Area {
        id: "site",
        title: "Site build",
        prefixes: &["site."],
    },
    Area {
        id: "tests",
        title: "Test suites",
        prefixes: &["engine-tests."],
    },
];

/// Where a metric matching no prefix goes; shown last.
pub const OTHER: Area = Area {
    id: "other",
    title: "Other",
    prefixes: &[],
};

/// The area of the metric `name`: the one with the longest prefix of `name`, else [`OTHER`].
pub fn area_of(name: &str) -> &'static Area {
    AREAS
        .iter()
        .flat_map(|a| a.prefixes.iter().map(move |p| (a, *p)))
        .filter(|(_, p)| name.starts_with(p) && name.len() > p.len())
        .max_by_key(|(_, p)| p.len())
        .map(|(a, _)| a)
        .unwrap_or(&OTHER)
}

/// Position of `area` in display order ([`AREAS`], then [`OTHER`]).
pub fn rank(area: &Area) -> usize {
    AREAS
        .iter()
        .position(|a| a.id == area.id)
        .unwrap_or(AREAS.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_to_their_area_by_longest_prefix() {
        assert_eq!(area_of("engine.commit.standard.p99_us").id, "storage");
        assert_eq!(area_of("page_cache.hit_ratio").id, "storage");
        assert_eq!(area_of("engine-tests.tests.failed").id, "tests");
        assert_eq!(area_of("backup_target.rto_s").id, "backup");
        assert_eq!(area_of("backup.rto_s").id, "backup");
        assert_eq!(area_of("txn.history.cycles").id, "transactions");
        assert_eq!(area_of("oltp.tps").id, "oltp");
        assert_eq!(area_of("olap.kv_scan.rows").id, "olap");
        assert_eq!(area_of("site.build.cold_ms").id, "site");
        assert_eq!(area_of("recovery.drill.crashes").id, "recovery");
        assert_eq!(area_of("integrity.fresh.errors").id, "integrity");
    }

    #[test]
    fn unknown_or_bare_prefixes_are_other_and_rank_last() {
        assert_eq!(area_of("weird.metric").id, "other");
        assert_eq!(area_of("engine").id, "other", "a prefix needs a dot");
        assert_eq!(area_of("engine.").id, "other", "and something after it");
        assert_eq!(area_of("enginex.y").id, "other");
        assert_eq!(rank(&OTHER), AREAS.len());
        assert_eq!(rank(area_of("oltp.tps")), 5);
        let ids: Vec<_> = AREAS.iter().map(|a| a.id).collect();
        let mut unique = ids.clone();
        unique.dedup();
        assert_eq!(ids, unique, "area ids are unique");
    }
}
