//! JUnit XML, as `cargo nextest` writes it with a JUnit profile.
//!
//! Steps: stream the XML with quick-xml → one [`TestCase`] per `<testcase>` (status from a
//! `<failure>`, `<error>` or `<skipped>` child, duration from `time`) → totals counted from the
//! cases themselves (the `tests=`/`failures=` attributes are not trusted) → metrics
//! `<prefix>.tests.{total,passed,failed,flaky,skipped}` and `<prefix>.tests.duration_s`.

use anyhow::{Result, anyhow, bail};
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::evidence::metrics::{Direction, Metric};
use crate::util::tomlerr::line_of;

/// Outcome of one test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseStatus {
    /// Passed.
    Passed,
    /// An assertion failed.
    Failed,
    /// The test errored (panicked outside an assertion, crashed, timed out).
    Error,
    /// Not run.
    Skipped,
}

/// One `<testcase>`.
#[derive(Debug, Clone, PartialEq)]
pub struct TestCase {
    /// `classname` attribute (nextest: the binary id).
    pub classname: String,
    /// `name` attribute.
    pub name: String,
    /// Seconds.
    pub time_s: f64,
    /// Outcome.
    pub status: CaseStatus,
    /// Whether it failed at least once before passing on a retry.
    pub flaky: bool,
}

/// A parsed report.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct JunitReport {
    /// Every test case in document order.
    pub cases: Vec<TestCase>,
    /// Number of cases.
    pub tests: u64,
    /// Failed cases.
    pub failures: u64,
    /// Errored cases.
    pub errors: u64,
    /// Skipped cases.
    pub skipped: u64,
    /// Cases that passed only on a retry.
    pub flaky: u64,
    /// Total wall time: the root's `time` when present, else the sum of case times.
    pub time_s: f64,
}

impl JunitReport {
    /// The metrics this report contributes, named under `prefix`.
    pub fn metrics(&self, prefix: &str) -> Vec<Metric> {
        let p = if prefix.is_empty() {
            String::new()
        } else {
            format!("{prefix}.")
        };
        let passed = self.tests - self.failures - self.errors - self.skipped;
        vec![
            Metric::new(
                format!("{p}tests.total"),
                self.tests as f64,
                "count",
                Direction::HigherIsBetter,
            ),
            Metric::new(
                format!("{p}tests.passed"),
                passed as f64,
                "count",
                Direction::HigherIsBetter,
            ),
            Metric::new(
                format!("{p}tests.failed"),
                (self.failures + self.errors) as f64,
                "count",
                Direction::LowerIsBetter,
            ),
            Metric::new(
                format!("{p}tests.flaky"),
                self.flaky as f64,
                "count",
                Direction::LowerIsBetter,
            ),
            Metric::new(
                format!("{p}tests.skipped"),
                self.skipped as f64,
                "count",
                Direction::LowerIsBetter,
            ),
            Metric::new(
                format!("{p}tests.duration_s"),
                self.time_s,
                "s",
                Direction::LowerIsBetter,
            ),
        ]
    }
}

fn attr(origin: &str, text: &str, pos: u64, e: &BytesStart, key: &[u8]) -> Result<Option<String>> {
    for a in e.attributes() {
        let a = a.map_err(|err| {
            anyhow!(
                "{origin}:{}: malformed attribute: {err}",
                line_of(text, pos as usize)
            )
        })?;
        if a.key.as_ref() == key {
            let v = a.unescape_value().map_err(|err| {
                anyhow!(
                    "{origin}:{}: malformed attribute value: {err}",
                    line_of(text, pos as usize)
                )
            })?;
            return Ok(Some(v.into_owned()));
        }
    }
    Ok(None)
}

fn seconds(origin: &str, text: &str, pos: u64, v: Option<String>) -> Result<f64> {
    let Some(v) = v else { return Ok(0.0) };
    match v.trim().parse::<f64>() {
        Ok(t) if t.is_finite() && t >= 0.0 => Ok(t),
        _ => bail!(
            "{origin}:{}: time `{v}` is not a non-negative number of seconds",
            line_of(text, pos as usize)
        ),
    }
}

/// Parses JUnit XML text; errors name `origin` and the line.
pub fn parse(origin: &str, text: &str) -> Result<JunitReport> {
    let mut reader = Reader::from_str(text);
    let mut report = JunitReport::default();
    let mut root_time = None;
    let mut saw_root = false;
    let mut current: Option<TestCase> = None;
    let mut depth = 0usize;
    loop {
        let pos = reader.buffer_position();
        let event = reader.read_event().map_err(|e| {
            anyhow!(
                "{origin}:{}: malformed XML: {e}",
                line_of(text, reader.error_position() as usize)
            )
        })?;
        let (start, empty) = match &event {
            Event::Start(e) => (Some(e.clone()), false),
            Event::Empty(e) => (Some(e.clone()), true),
            _ => (None, false),
        };
        if let Some(e) = start {
            let name = e.name().as_ref().to_vec();
            if depth == 0 {
                if name != b"testsuites" && name != b"testsuite" {
                    bail!(
                        "{origin}:{}: expected a <testsuites> or <testsuite> root element, found <{}>",
                        line_of(text, pos as usize),
                        String::from_utf8_lossy(&name)
                    );
                }
                saw_root = true;
                root_time = Some(seconds(
                    origin,
                    text,
                    pos,
                    attr(origin, text, pos, &e, b"time")?,
                )?);
            }
            match name.as_slice() {
                b"testcase" => {
                    let case = TestCase {
                        classname: attr(origin, text, pos, &e, b"classname")?.unwrap_or_default(),
                        name: attr(origin, text, pos, &e, b"name")?.ok_or_else(|| {
                            anyhow!(
                                "{origin}:{}: <testcase> without a name",
                                line_of(text, pos as usize)
                            )
                        })?,
                        time_s: seconds(origin, text, pos, attr(origin, text, pos, &e, b"time")?)?,
                        status: CaseStatus::Passed,
                        flaky: false,
                    };
                    if empty {
                        report.cases.push(case);
                    } else {
                        current = Some(case);
                    }
                }
                b"flakyFailure" | b"flakyError" => {
                    if let Some(c) = current.as_mut() {
                        c.flaky = true;
                    }
                }
                b"failure" | b"error" | b"skipped" => {
                    if let Some(c) = current.as_mut() {
                        let status = match name.as_slice() {
                            b"failure" => CaseStatus::Failed,
                            b"error" => CaseStatus::Error,
                            _ => CaseStatus::Skipped,
                        };
                        if c.status == CaseStatus::Passed || status != CaseStatus::Skipped {
                            c.status = status;
                        }
                    }
                }
                _ => {}
            }
            if !empty {
                depth += 1;
            }
        }
        match event {
            Event::End(e) => {
                depth = depth.saturating_sub(1);
                if e.name().as_ref() == b"testcase"
                    && let Some(c) = current.take()
                {
                    report.cases.push(c);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !saw_root {
        bail!("{origin}:1: no <testsuites> or <testsuite> element; expected JUnit XML");
    }
    for c in &report.cases {
        report.tests += 1;
        if c.flaky {
            report.flaky += 1;
        }
        match c.status {
            CaseStatus::Passed => {}
            CaseStatus::Failed => report.failures += 1,
            CaseStatus::Error => report.errors += 1,
            CaseStatus::Skipped => report.skipped += 1,
        }
    }
    report.time_s = match root_time {
        Some(t) if t > 0.0 => t,
        _ => report.cases.iter().map(|c| c.time_s).sum(),
    };
    Ok(report)
}
