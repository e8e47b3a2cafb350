//! How `ldb migrate` prints: aligned text, or JSON with `--json`.

use std::path::Path;

use anyhow::Result;
use lightning_db::schema::migrate::verify::VerifyReport;
use lightning_db::schema::migrate::{self, DryRun, History, Status, Step};
use lightning_metrics::Metric;

use crate::report::{print_metrics, print_metrics_text};
use serde_json::json;

fn json_out(value: serde_json::Value) -> Result<()> {
    outln!("{}", serde_json::to_string_pretty(&value)?)?;
    Ok(())
}

fn ms(us: u64) -> String {
    format!("{:.1} ms", us as f64 / 1000.0)
}

/// `status`.
pub fn status(db: &Path, dir: &Path, st: &Status, history: &History, json: bool) -> Result<()> {
    if json {
        return json_out(json!({ "status": st, "history": history.entries }));
    }
    outln!(
        "{}: at version {} ({} applied, {} pending); migrations in {}",
        db.display(),
        st.current,
        history.entries.len(),
        st.pending.len(),
        dir.display()
    )?;
    if !st.rows.is_empty() {
        outln!(
            "{:<8} {:<9} {:<28} {:<28} {:>10}",
            "VERSION",
            "STATE",
            "NAME",
            "APPLIED AT",
            "DURATION"
        )?;
    }
    for r in &st.rows {
        outln!(
            "{:<8} {:<9} {:<28} {:<28} {:>10}",
            format!("{:04}", r.version),
            r.state,
            r.name,
            r.applied_at.as_deref().unwrap_or("-"),
            r.duration_us.map_or_else(|| "-".to_string(), ms)
        )?;
    }
    problems(st)
}

fn problems(st: &Status) -> Result<()> {
    if !st.problems.is_empty() {
        outln!("refused ({}):", st.problems.len())?;
        for p in &st.problems {
            outln!("  {p}")?;
        }
    }
    Ok(())
}

/// `validate`.
pub fn validate(st: &Status, json: bool) -> Result<()> {
    if json {
        return json_out(json!({ "clean": st.is_clean(), "problems": st.problems }));
    }
    if st.is_clean() {
        outln!(
            "ok: files and history agree (at version {}, {} pending)",
            st.current,
            st.pending.len()
        )?;
    }
    problems(st)
}

fn step(s: &Step) -> Result<()> {
    let rows: u64 = s.effects.iter().map(|e| e.rows).sum();
    outln!(
        "{} {:04}_{} ({} statement{}, {} rows, {})",
        if s.direction == "up" {
            "applied"
        } else {
            "reverted"
        },
        s.version,
        s.name,
        s.effects.len(),
        if s.effects.len() == 1 { "" } else { "s" },
        rows,
        ms(s.duration_us)
    )?;
    for e in &s.effects {
        let first_line = e.statement.lines().next().unwrap_or("");
        outln!("  {:<22} {:>8} rows  {first_line}", e.kind, e.rows)?;
    }
    for c in &s.changes {
        outln!("  schema: {c}")?;
    }
    Ok(())
}

/// `up` and `down`.
pub fn steps(steps: &[Step], now: u64, json: bool) -> Result<()> {
    if json {
        return json_out(json!({ "steps": steps, "version": now }));
    }
    if steps.is_empty() {
        outln!("nothing to do: at version {now}")?;
    }
    for s in steps {
        step(s)?;
    }
    if !steps.is_empty() {
        outln!("at version {now}")?;
    }
    Ok(())
}

/// `up --dry-run`.
pub fn dry_run(d: &DryRun, json: bool) -> Result<()> {
    if json {
        return json_out(json!({ "dry_run": true, "steps": d.steps, "schema_diff": d.changes }));
    }
    outln!(
        "dry run: {} migrations would run; everything below was rolled back",
        d.steps.len()
    )?;
    for s in &d.steps {
        step(s)?;
    }
    outln!("schema diff ({} changes):", d.changes.len())?;
    for c in &d.changes {
        outln!("  {c}")?;
    }
    Ok(())
}

/// `repair` and `baseline`.
pub fn lines(lines: &[String], empty: &str, json: bool) -> Result<()> {
    if json {
        return json_out(json!({ "changes": lines }));
    }
    if lines.is_empty() && !empty.is_empty() {
        outln!("{empty}")?;
    }
    for l in lines {
        outln!("{l}")?;
    }
    Ok(())
}

/// `new`.
pub fn created(up: &Path, down: &Path, json: bool) -> Result<()> {
    if json {
        return json_out(json!({ "up": up, "down": down }));
    }
    outln!("created {}", up.display())?;
    outln!("created {}", down.display())?;
    Ok(())
}

/// `verify`.
pub fn verify(r: &VerifyReport, json: bool) -> Result<()> {
    if json {
        return json_out(json!({ "clean": r.is_clean(), "report": r }));
    }
    outln!("verify on a copy, starting at version {}:", r.start_version)?;
    for s in &r.steps {
        outln!(
            "  {:<9} {:04}  schema {}  data {}{}",
            s.phase,
            s.version,
            &s.schema[..12],
            &s.data[..12],
            if s.problem.is_some() {
                "  MISMATCH"
            } else {
                ""
            }
        )?;
    }
    if r.is_clean() {
        outln!("ok: every down reverses its up, and every up after its down reproduces its state")?;
    } else {
        outln!("failed ({}):", r.failures.len())?;
        for f in &r.failures {
            outln!("  version {}: {}", f.version, f.problem)?;
        }
    }
    Ok(())
}

/// The audit: the metrics JSON document, or one line per expectation, each orphan and the
/// three counts.
pub fn audit(report: &migrate::AuditReport, json: bool) -> Result<()> {
    let metrics = vec![
        Metric::lower(
            "migrations.audit_failures",
            report.audit_failures() as f64,
            "count",
        ),
        Metric::lower(
            "migrations.rollback_sim_failures",
            report.rollback_sim_failures() as f64,
            "count",
        ),
        Metric::lower("migrations.orphaned", report.orphaned() as f64, "count"),
    ];
    if json {
        return print_metrics(metrics);
    }
    outln!(
        "audit of {} ({} migrations)",
        report.dir.display(),
        report.migrations
    )?;
    for c in &report.checks {
        outln!(
            "  {:<4} {:<8} {:<34} {}",
            if c.ok { "ok" } else { "FAIL" },
            c.group,
            c.name,
            c.detail
        )?;
    }
    for o in &report.orphans {
        outln!("  orphan: {o}")?;
    }
    print_metrics_text(&metrics)
}
