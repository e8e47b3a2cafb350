//! The unit of work of the render phase: a [`PageJob`] (path, template, context), and the
//! [`PageData`] written beside each page as `data.json`.

use serde::Serialize;

use super::urls::root_prefix;

/// One measurement of a metric as its page's `data.json` lists it (`points`, newest first). Typed
/// rather than a JSON object per row: a metric page of 1,000 runs has 1,000 of them, and they go
/// straight to the data file without passing through the template context (which holds the
/// newest `TABLE_ROWS` of the metric pages as JSON, for the table). Fields in the order JSON
/// objects print them.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Measurement {
    /// Check id of the record (the record file's name without `.json`).
    pub check: Option<String>,
    /// Short commit id the run measured.
    pub commit: String,
    /// Upper confidence bound, when recorded.
    pub high: Option<f64>,
    /// Lower confidence bound, when recorded.
    pub low: Option<f64>,
    /// Run id.
    pub run: String,
    /// Number of raw samples.
    pub samples: usize,
    /// sha256 of the record holding the measurement.
    pub sha256: String,
    /// The first 12 hex digits of `sha256`.
    pub short: String,
    /// The value.
    pub value: f64,
}

/// One page to render: where it goes, which template renders it, and the data it shows.
#[derive(Debug, Clone, Serialize)]
pub struct PageJob {
    /// Directory of the page under the version root, no slashes at either end; `""` for the
    /// home page. The page is written to `<path>/index.html` with `<path>/data.json` beside it.
    pub path: String,
    /// Template name (`adr.html`).
    pub template: String,
    /// The template context; also written as `data.json` (see [`PageData`]). `Null` for a
    /// page shared with the previous version.
    pub context: serde_json::Value,
    /// The page key (page sharing, `incremental::reuse`) when the page's producer derived it
    /// from the page's inputs (see `Shared::keyed_job`); otherwise it is derived from the
    /// context.
    pub key: Option<String>,
    /// The previous version published this page with the same key: nothing to render.
    pub shared: bool,
    /// A metric page's every measurement, newest first: written to `data.json` as `points`
    /// in place of the context's `points` (which holds only the rows the page's table shows),
    /// and part of the page key. `None` for every other page.
    pub measurements: Option<Vec<Measurement>>,
}

impl PageJob {
    /// The same job with `measurements` as its data file's `points` (see
    /// [`PageJob::measurements`]).
    pub fn with_measurements(mut self, measurements: Vec<Measurement>) -> PageJob {
        self.measurements = Some(measurements);
        self
    }

    /// The relative prefix from this page back to the version root (`../../` for `adr/x`).
    pub fn root_prefix(&self) -> String {
        root_prefix(&self.path)
    }
}

/// The page's `data.json`: its context without the sidebar, the version name and list (which
/// the folder name and `site/versions.json` give, and which would make the file differ between
/// versions) and without the embedded SVG and HTML renderings of data it already holds (keys
/// ending in `_svg` / `_html`), so data files stay small and grow only with the page's own
/// data. Serialised without copying the context. A metric page's `points` are its
/// [`PageJob::measurements`], all of them, not the context's table rows.
pub struct PageData<'a> {
    /// The page context.
    pub context: &'a serde_json::Value,
    /// Replaces the context's `points` when set.
    pub measurements: Option<&'a [Measurement]>,
}

impl Serialize for PageData<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let Some(obj) = self.context.as_object() else {
            return self.context.serialize(s);
        };
        let mut map = s.serialize_map(None)?;
        for (k, v) in obj {
            if k.ends_with("_svg") || k.ends_with("_html") {
                continue;
            }
            match self.measurements {
                Some(all) if k == "points" => map.serialize_entry(k, all)?,
                _ => map.serialize_entry(k, v)?,
            }
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measurement(run: &str, value: f64) -> Measurement {
        Measurement {
            check: Some("bench".into()),
            commit: "abc1234".into(),
            high: None,
            low: None,
            run: run.into(),
            samples: 0,
            sha256: "ab".repeat(32),
            short: "ab".repeat(6),
            value,
        }
    }

    #[test]
    fn data_file_drops_renderings_and_lists_every_measurement() {
        let context = serde_json::json!({
            "name": "m", "trend_svg": "<svg/>", "body_html": "<p>x</p>",
            "points": [{"run": "r2", "value": 2.0}], "points_total": 2,
        });
        let all = [measurement("r2", 2.0), measurement("r1", 1.0)];
        let plain: serde_json::Value = serde_json::to_value(PageData {
            context: &context,
            measurements: None,
        })
        .expect("serialises");
        assert_eq!(plain["points"].as_array().map(Vec::len), Some(1));
        assert!(plain.get("trend_svg").is_none() && plain.get("body_html").is_none());
        let full: serde_json::Value = serde_json::to_value(PageData {
            context: &context,
            measurements: Some(&all),
        })
        .expect("serialises");
        let points = full["points"].as_array().expect("points");
        assert_eq!(points.len(), 2, "every measurement, not the table rows");
        assert_eq!(points[1]["run"], "r1");
        assert_eq!(points[1]["check"], "bench");
        assert_eq!(full["name"], "m");
    }
}
