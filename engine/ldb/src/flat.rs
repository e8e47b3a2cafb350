//! The text form of a JSON tree: one `a.b.c  value` line per leaf (`stats`, `catalog`).

/// Appends one `path value` line per leaf of `value` to `out`, paths joined with `.` and list
/// items as `[i]`, the path padded to 40 columns.
pub fn flatten(prefix: &str, value: &serde_json::Value, out: &mut String) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        serde_json::Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                flatten(&format!("{prefix}[{i}]"), v, out);
            }
        }
        other => out.push_str(&format!("{prefix:<40} {other}\n")),
    }
}

/// The flattened text of `value`.
pub fn flat_text(value: &serde_json::Value) -> String {
    let mut out = String::new();
    flatten("", value, &mut out);
    out
}
